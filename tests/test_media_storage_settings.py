"""The media storage is chosen by the environment: the local MEDIA_ROOT by default, a bucket with MEDIA_S3_*."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHOW = "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(s.STORAGES['default']))"


def storages_under(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_S3_", "MEDIA_DELIVERY"))}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=PROJECT_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "mabench_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_bucket_media_stay_on_the_local_file_system():
    shown = storages_under()
    assert json.loads(shown.stdout) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_the_bucket_variables_choose_django_storages_s3_with_presigned_urls_and_no_custom_domain():
    shown = storages_under(
        MEDIA_S3_BUCKET="review-media",
        MEDIA_S3_ENDPOINT_URL="https://minio.example.org:9000",
        MEDIA_S3_REGION="eu-west-1",
        MEDIA_S3_ACCESS_KEY_ID="key-id",
        MEDIA_S3_SECRET_ACCESS_KEY="secret",
        MEDIA_S3_PREFIX="site-a",
        MEDIA_S3_URL_EXPIRY_SECONDS="120",
    )
    default = json.loads(shown.stdout)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "review-media",
        "https://minio.example.org:9000",
        "eu-west-1",
    )
    assert (options["access_key"], options["secret_key"], options["location"]) == ("key-id", "secret", "site-a")
    assert (options["querystring_auth"], options["querystring_expire"], options["custom_domain"]) == (True, 120, None)
    assert (options["addressing_style"], options["default_acl"], options["file_overwrite"]) == ("path", None, False)


def test_an_unknown_delivery_mode_is_refused_naming_the_variable():
    shown = storages_under(MEDIA_DELIVERY="proxy")
    assert shown.returncode != 0 and "MEDIA_DELIVERY is redirect or stream, not 'proxy'" in shown.stderr


def test_with_a_bucket_served_by_redirect_the_policy_lets_the_browser_fetch_from_it():
    show = "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_S3_", "MEDIA_DELIVERY"))}

    def directives(**env):
        shown = subprocess.run(
            [sys.executable, "-c", show],
            cwd=PROJECT_DIR,
            env={**clean, "DJANGO_SETTINGS_MODULE": "mabench_site.settings", **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return json.loads(shown.stdout)

    minio = {"MEDIA_S3_BUCKET": "m", "MEDIA_S3_ENDPOINT_URL": "https://minio.example.org:9000"}
    redirected = directives(**minio)
    assert (
        "https://minio.example.org:9000" in redirected["img-src"]
        and "https://minio.example.org:9000" in redirected["media-src"]
    )
    assert directives(**minio, MEDIA_DELIVERY="stream")["img-src"] == ["'self'", "data:"]
    assert directives()["media-src"] == ["'self'", "blob:"]
