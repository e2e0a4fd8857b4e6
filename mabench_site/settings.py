"""Settings come from the environment.

With nothing set the site runs on its embedded default: a SQLite file under
``var/`` and Celery tasks executed in-process. Setting ``DATABASE_URL`` and
``CELERY_BROKER_URL`` gives the production shape: PostgreSQL, Redis and real
Celery workers. See README.md, "Configuration".
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from mabench_site.media_storage_settings import bucket_origins, s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("MABENCH_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
_DEMO_SECRET_KEY = "insecure-embedded-default-key-only-for-local-demo-use"
SECRET_KEY = env("SECRET_KEY", default="") or _DEMO_SECRET_KEY
EMBEDDED_DEFAULT = "DATABASE_URL" not in env
if SECRET_KEY == _DEMO_SECRET_KEY and not (DEBUG or EMBEDDED_DEFAULT):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off and DATABASE_URL is set")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "axes",  # failed-login throttling (below)
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "django_htmx",
    "csp",
    "annotation",
    "review",
    "demo",  # development-only demo data (seed_demo); annotation and review never import it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login into the lockout page (429)
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "mabench_site.urls"
WSGI_APPLICATION = "mabench_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_SQLITE_DEFAULT = f"sqlite:///{VAR_DIR / 'mabench.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_SQLITE_DEFAULT)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers queue
    # instead of failing with "database is locked" when one upgrades its lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT, so WhiteNoise starts quietly
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Database sessions as Django's, read with one plain query (review/session_store.py).
SESSION_ENGINE = "review.session_store"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "review.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (the site, the Django admin and POST /api/token/) are counted per client address and
# per username; at the limit that address or username is refused (429, the lockout page) until the
# cool-off ends; a successful login resets the count. Behind a reverse proxy set TRUSTED_PROXY_COUNT
# so the address is the client's, not the proxy's. Attempts are in the admin (Axes) and logged.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner at every start; attempts and lockouts are still logged ("axes" logger)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=None)

# A strict Content-Security-Policy on every response: scripts and styles only from our own static
# files (no inline script, no style attribute, no eval: htmx runs with allowEval off), frames and
# clips from this site or the media origins named in CSP_MEDIA_ORIGINS (an object-storage endpoint
# that serves presigned URLs), nothing may frame the site.
CSP_MEDIA_ORIGINS = env.list("CSP_MEDIA_ORIGINS", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *CSP_MEDIA_ORIGINS],
        "media-src": [SELF, "blob:", *CSP_MEDIA_ORIGINS],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Media (clip files, frames, proxies, stored uploads) in an S3-protocol bucket (AWS, MinIO, Ceph, R2...)
# when MEDIA_S3_BUCKET is set; the local MEDIA_ROOT otherwise. See README.md, "Media storage".
MEDIA_S3_BUCKET = env("MEDIA_S3_BUCKET", default="")
MEDIA_S3_ENDPOINT_URL = env("MEDIA_S3_ENDPOINT_URL", default="")
# How the browser gets a stored frame or clip from a bucket: "redirect" to a presigned URL, or "stream" through
# the web process. bench/media_delivery.py measures both; README.md says why redirect is the default.
MEDIA_DELIVERY = env("MEDIA_DELIVERY", default="redirect")
if MEDIA_DELIVERY not in ("redirect", "stream"):
    raise ImproperlyConfigured(f"MEDIA_DELIVERY is redirect or stream, not {MEDIA_DELIVERY!r}")
MEDIA_S3_URL_EXPIRY_SECONDS = env.int("MEDIA_S3_URL_EXPIRY_SECONDS", default=600)
if MEDIA_S3_BUCKET:
    STORAGES["default"] = s3_storage(
        bucket=MEDIA_S3_BUCKET,
        endpoint_url=MEDIA_S3_ENDPOINT_URL,
        region=env("MEDIA_S3_REGION", default=""),
        access_key=env("MEDIA_S3_ACCESS_KEY_ID", default=""),
        secret_key=env("MEDIA_S3_SECRET_ACCESS_KEY", default=""),
        prefix=env("MEDIA_S3_PREFIX", default=""),
        addressing_style=env("MEDIA_S3_ADDRESSING_STYLE", default=""),
        url_expiry_seconds=MEDIA_S3_URL_EXPIRY_SECONDS,
    )
    if MEDIA_DELIVERY == "redirect":  # the browser fetches frames and clips from the bucket itself
        for directive in ("img-src", "media-src"):
            CONTENT_SECURITY_POLICY["DIRECTIVES"][directive] += bucket_origins(MEDIA_S3_ENDPOINT_URL)
# Workers write a clip's outputs here before uploading them (remote storage); empty: the system's temp folder.
FRAMES_STAGING_DIR = env("FRAMES_STAGING_DIR", default="")
MEDIA_UPLOAD_THREADS = env.int("MEDIA_UPLOAD_THREADS", default=8)  # parallel uploads of one clip's outputs
WHITENOISE_USE_FINDERS = True

# Celery: without a broker the tasks run in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"  # never used by eager tasks; keeps kombu from guessing a host
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="mabench")
# One queue per kind of work, so that a frame backlog never starves a baseline run: run a worker per queue
# (README, "Running in production"). The default queue carries the beat tasks (reconciler, lease sweep).
CELERY_QUEUES_BY_KIND = {
    kind: f"{CELERY_TASK_DEFAULT_QUEUE}.{kind}" for kind in ("frames", "models", "generation", "imports")
}
CELERY_TASK_ROUTES = {
    "annotation.process_video": {"queue": CELERY_QUEUES_BY_KIND["frames"]},
    "annotation.fingerprint_video": {"queue": CELERY_QUEUES_BY_KIND["frames"]},
    "annotation.predict_chunk": {"queue": CELERY_QUEUES_BY_KIND["models"]},
    "annotation.generate_clip_batch": {"queue": CELERY_QUEUES_BY_KIND["generation"]},
    "annotation.run_import": {"queue": CELERY_QUEUES_BY_KIND["imports"]},
}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# Redis redelivers unacknowledged tasks after this; keep it well above the hard limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A baseline run keeps this many chunks in flight (one per worker process you run); its
# concurrency against the model endpoint is shared among them.
# Training corpora: the participant id in a clip name, as the regex group (?P<participant>...);
# empty = annotation/domain/participants.py's default for MA-52 names `<interview uuid>_<start>_<end>`.
PARTICIPANT_ID_PATTERN = env("MABENCH_PARTICIPANT_ID_PATTERN", default="")
BASELINE_PARALLEL_CHUNKS = env.int("BASELINE_PARALLEL_CHUNKS", default=2)
# Dashboards: warn about a person whose blind answer differed from the key and who then kept the key more often
# than this share of such reviews (review/selectors/anchoring.py), once they have at least this many of them.
ANCHORING_WARN_RATE = env.float("ANCHORING_WARN_RATE", default=0.5)
ANCHORING_MIN_DISAGREEMENTS = env.int("ANCHORING_MIN_DISAGREEMENTS", default=5)
# The reconciler (annotation/services/job_reconciliation.py): sends what the broker refused, and work that has no
# live task (a lost message, a worker that died mid-job) again: work owed this long and never claimed, while
# its queue is empty, has lost its message.
RECONCILE_INTERVAL_SECONDS = env.float("RECONCILE_INTERVAL_SECONDS", default=60.0)
RECONCILE_GRACE_SECONDS = env.float("RECONCILE_GRACE_SECONDS", default=60.0)
OUTBOX_SEND_GRACE_SECONDS = env.float("OUTBOX_SEND_GRACE_SECONDS", default=10.0)  # a commit's own send is quicker
# Background imports (annotation/services/import_jobs.py): a 200,000-row file takes about a minute.
IMPORT_TASK_SOFT_TIME_LIMIT = env.int("IMPORT_TASK_SOFT_TIME_LIMIT", default=1800)
IMPORT_TASK_TIME_LIMIT = env.int("IMPORT_TASK_TIME_LIMIT", default=1860)
IMPORT_STALE_SECONDS = env.int("IMPORT_STALE_SECONDS", default=180)  # no heartbeat this long: its worker is lost
IMPORT_MAX_ATTEMPTS = env.int("IMPORT_MAX_ATTEMPTS", default=3)
CELERY_BEAT_SCHEDULE = {
    # Claims ignore expired leases anyway; the sweep makes queue progress show them as free.
    "sweep-expired-leases": {"task": "review.sweep_expired_leases", "schedule": 60.0},
    "reconcile-jobs": {
        "task": "annotation.reconcile_jobs",
        "schedule": RECONCILE_INTERVAL_SECONDS,
        "options": {"expires": RECONCILE_INTERVAL_SECONDS},  # a backlog of reconciles is worth one
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,  # ?format= names a release export format, not a renderer
    "EXCEPTION_HANDLER": "annotation.api.errors.domain_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MA-Bench Review API",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "annotation.api.schema_responses.with_common_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "BenchmarkKindEnum": "annotation.models.Benchmark.Kind",
        "FlagKindEnum": "annotation.models.QualityFlag.Kind",
        "FlagStatusEnum": "annotation.models.QualityFlag.Status",
        "ReviewStatusEnum": "annotation.domain.transitions.ReviewStatus",
        "VideoStatusEnum": "annotation.domain.transitions.VideoStatus",
    },
}

# Production hardening; all on unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER_ENABLED=true.
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not EMBEDDED_DEFAULT)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not EMBEDDED_DEFAULT)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not EMBEDDED_DEFAULT)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if EMBEDDED_DEFAULT else 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # In-process tasks would log every success into the site's console.
    "loggers": {
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        # one "HTTP Request: POST ..." line per model request otherwise; the openai client sends through
        # httpx2 (its own logger name), httpx where that is installed; warnings and errors still show
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts are warnings; a line per good login otherwise
    },
}

# Frame pipeline (annotation/frames/): what the workers precompute for each clip.
# Changing an output setting changes the settings key, so clips are reprocessed.
FRAMES_SCRUB_WIDTH = env.int("FRAMES_SCRUB_WIDTH", default=320)  # px, never upscaled
FRAMES_SCRUB_MAX_FRAMES = env.int("FRAMES_SCRUB_MAX_FRAMES", default=600)  # above: an even stride
FRAMES_SCRUB_JPEG_QSCALE = env.int("FRAMES_SCRUB_JPEG_QSCALE", default=5)  # FFmpeg's mjpeg -q:v, 2-31; 5 ~ quality 80
FRAMES_MODEL_MAX_SIDE = env.int("FRAMES_MODEL_MAX_SIDE", default=1280)  # px; 0 = full resolution
FRAMES_MODEL_JPEG_QUALITY = env.int("FRAMES_MODEL_JPEG_QUALITY", default=95)  # as the MAC 2026 runner
FRAMES_UNIFORM_K = env.int("FRAMES_UNIFORM_K", default=8)
FRAMES_PROXY_MAX_SIDE = env.int("FRAMES_PROXY_MAX_SIDE", default=1280)
FRAMES_PROXY_GOP = env.int("FRAMES_PROXY_GOP", default=10)  # frames between keyframes
FRAMES_PROXY_CRF = env.int("FRAMES_PROXY_CRF", default=23)
FRAMES_MAX_PIXELS = env.int("FRAMES_MAX_PIXELS", default=4096 * 2304)  # refuse larger frames (8K) clearly
FRAMES_MAX_ATTEMPTS = env.int("FRAMES_MAX_ATTEMPTS", default=3)  # runs interrupted by kills before giving up
# A worker processing a clip beats Video.heartbeat_at this often; a beat older than the staleness means the
# worker died, and the reconciler sends the clip again (without waiting for Redis's visibility timeout).
FRAMES_HEARTBEAT_SECONDS = env.float("FRAMES_HEARTBEAT_SECONDS", default=30.0)
FRAMES_HEARTBEAT_STALE_SECONDS = env.float("FRAMES_HEARTBEAT_STALE_SECONDS", default=180.0)
FRAMES_TASK_SOFT_TIME_LIMIT = env.int("FRAMES_TASK_SOFT_TIME_LIMIT", default=300)
FRAMES_TASK_TIME_LIMIT = env.int("FRAMES_TASK_TIME_LIMIT", default=360)
# Staging folders left by killed workers are removed once older than this.
FRAMES_STALE_STAGING_SECONDS = env.int("FRAMES_STALE_STAGING_SECONDS", default=FRAMES_TASK_TIME_LIMIT + 60)
# For tests only: a pause after each decoded frame, so a test can kill a worker mid-clip.
FRAMES_TEST_FRAME_DELAY_SECONDS = env.float("MABENCH_TEST_FRAME_DELAY_SECONDS", default=0.0)
