"""The S3 backend's settings, from the MEDIA_S3_* variables (settings.py) or a test's own server."""

from __future__ import annotations

from urllib.parse import urlsplit


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    access_key: str = "",
    secret_key: str = "",
    prefix: str = "",
    addressing_style: str = "",
    url_expiry_seconds: int = 600,
) -> dict:
    """A ``STORAGES["default"]`` entry for django-storages' S3 backend."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            # empty: boto3's own chain (AWS_* variables, ~/.aws, an instance or pod role)
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "location": prefix,
            # MinIO and most self-hosted servers want path-style URLs; AWS picks its own
            "addressing_style": addressing_style or ("path" if endpoint_url else "auto"),
            "signature_version": "s3v4",
            "custom_domain": None,  # presigned URLs name the bucket's own host
            "querystring_auth": True,
            "querystring_expire": url_expiry_seconds,
            "default_acl": None,  # the bucket stays private; the browser reads through presigned URLs
            "file_overwrite": False,  # as on the file system: a new clip file never replaces a released one
            "max_memory_size": 16 * 1024 * 1024,  # storage.open() spills larger objects to a temporary file
            # names carry the content's version (a clip's own name, a frame folder's sha): safe to cache
            "object_parameters": {"CacheControl": "private, max-age=604800"},
        },
    }


def bucket_origins(endpoint_url: str) -> list[str]:
    """Where presigned URLs point, for the Content-Security-Policy: the endpoint's origin and its
    subdomains (virtual-host addressing puts the bucket in front), or AWS's hosts without an endpoint."""
    if not endpoint_url:
        return ["https://*.amazonaws.com"]
    parts = urlsplit(endpoint_url)
    return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://*.{parts.netloc}"]
