"""Accord settings: one file, configured from the environment.

Defaults are safe for a laptop (SQLite in ./data, DEBUG off); `make demo` turns on
the development conveniences explicitly.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """Return an environment variable, or the default when unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean environment variable; reject anything ambiguous."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    """Parse an integer environment variable."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_rate(name: str, default: str) -> str:
    """Parse a request rate: a positive count per second, minute, hour or day, such as 600/min."""
    raw = os.environ.get(name, default).strip()
    count, _, period = raw.partition("/")
    if not (
        count.isdigit()
        and int(count) > 0
        and period in {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}
    ):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate such as 600/min (per s, min, h or day)")
    return raw


DEBUG = env_bool("DEBUG", False)
# Set by the test suite (pyproject.toml): development conveniences without DEBUG, and deterministic background work.
TESTING = env_bool("ACCORD_TESTING", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "annotate",
    "ratings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above everything that reads the database (sessions, users): a 503 with Retry-After while it is down.
    "accord.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses NUL characters in any text a request carries, before a view or form reads it.
    "accord.input_checks.RejectNulCharacters",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After htmx's: an expired session on an htmx request sends the whole page to the login form.
    "accord.login_redirect.HtmxLoginRedirect",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"

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
                # `menu`: which menus and create buttons the signed-in user can use.
                "annotate.context_processors.menus",
            ],
        },
    },
]

DATA_DIR = Path(env_str("ACCORD_DATA_DIR", str(BASE_DIR / "data")))
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
    # A connection kept across requests dies with a database restart; checked before a request's first query,
    # it is replaced instead of failing that request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("PG_PREPARED_STATEMENTS", True):
        # Parameters bound by the server let psycopg prepare a statement after a few runs on a connection, so
        # PostgreSQL stops planning the rating queue's statements on every request. Turn off behind a
        # transaction-mode pooler, which cannot keep prepared statements.
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
        # Django's backend, splitting bulk writes to the 65,535 parameters a statement may then bind.
        DATABASES["default"]["ENGINE"] = "fixed_sql.postgresql"
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "accord.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Whether the file is the default or named by DATABASE_URL; options given in the URL take precedence.
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE write transactions plus WAL let concurrent raters queue
        # for the write lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # 16 KiB pages (set when the file is created; an existing file keeps its size) hold whole items
        # with less B-tree overhead: a 1,000,000-item import writes 10% fewer bytes and runs 25% faster.
        "init_command": (
            "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        **DATABASES["default"].get("OPTIONS", {}),
    }

# Long work (imports started from the web or the API, the search index) runs as tasks of Django's task framework.
# "database" queues them in the database for `manage.py db_worker` processes, on any host that reaches it;
# "immediate" runs each task in the process that enqueues it, before enqueue() returns (the test suite's choice).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND={TASKS_BACKEND!r} is not one of {', '.join(_TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}

# Caches (rubric versions in use, rendered guidelines and criteria, dashboards, the lease sweep's timer): each
# process's memory by default. Several workers or hosts share one when REDIS_URL names a Redis server, or with
# CACHE_TABLE, Django's database cache in that table (made by `manage.py createcachetable`): a dashboard is
# then computed once, not once per worker.
REDIS_URL = env_str("REDIS_URL", "")
CACHE_TABLE = env_str("CACHE_TABLE", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
elif CACHE_TABLE:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads larger than this spill to a temporary file, so imports stream from disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Limits on every file input (upload, API, command, label import): the files of one request, one record (a JSONL
# line, a CSV record, a Parquet row; a value is never larger than its record), the fields of a record.
ACCORD_MAX_UPLOAD_BYTES = env_int("ACCORD_MAX_UPLOAD_BYTES", 2 * 1024 * 1024 * 1024)
ACCORD_MAX_RECORD_BYTES = env_int("ACCORD_MAX_RECORD_BYTES", 16 * 1024 * 1024)
ACCORD_MAX_FIELDS = env_int("ACCORD_MAX_FIELDS", 500)
if min(ACCORD_MAX_UPLOAD_BYTES, ACCORD_MAX_RECORD_BYTES, ACCORD_MAX_FIELDS) < 1:
    raise ImproperlyConfigured(
        "ACCORD_MAX_UPLOAD_BYTES, ACCORD_MAX_RECORD_BYTES and ACCORD_MAX_FIELDS must be positive"
    )
# Django's list of upload handlers, with the one that stops storing an upload past ACCORD_MAX_UPLOAD_BYTES first:
# without it, Django writes the whole body to disk before any form can look at its size.
FILE_UPLOAD_HANDLERS = [
    "accord.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The field-mapping form posts one choice per field of a file: room for ACCORD_MAX_FIELDS of them.
DATA_UPLOAD_MAX_NUMBER_FIELDS = max(1000, ACCORD_MAX_FIELDS + 100)

# Django's database sessions, read with a fixed statement (fixed_sql/sessions.py).
SESSION_ENGINE = "fixed_sql.sessions"
# The login throttle comes first so that it refuses a locked-out login before any password is checked. Django's
# ModelBackend stays listed so that sessions it signed in remain valid; it signs no one in.
AUTHENTICATION_BACKENDS = [
    "accord.accounts.LoginThrottleBackend",
    "accord.accounts.AccountBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A form refused for its CSRF token gets the site's page (JSON under /api/), saying how to send it again.
CSRF_FAILURE_VIEW = "accord.pages.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
# Flash messages can quote what a user typed; the session keeps them on the server, where a cookie would not.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# HTTPS. Browsers ignore HSTS sent over plain HTTP, so the default costs `make demo` nothing; the redirect is off
# for development (DEBUG) and the test suite, which serve plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not (DEBUG or TESTING))
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Trusted only when named: a client could send the header itself to a server that is not behind such a proxy.
_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER", "").strip()
if _SSL_HEADER and not re.fullmatch(r"HTTP_[A-Z0-9_]+", _SSL_HEADER):
    raise ImproperlyConfigured(
        f"SECURE_PROXY_SSL_HEADER={_SSL_HEADER!r} is not a request header in Django's form (HTTP_X_FORWARDED_PROTO)"
    )
SECURE_PROXY_SSL_HEADER = (_SSL_HEADER, "https") if _SSL_HEADER else None
# Submitting a domain to the browsers' preload list binds every subdomain of it for months: its owner's choice,
# made with SECURE_HSTS_PRELOAD, not a check to pass.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Failed logins (login page, admin, the API's basic authentication) are counted per user name and per client
# address by django-axes; either reaching the limit refuses logins, right password or not, for the lockout time.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
if min(LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES) < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be at least 1"
    )
# Reverse proxies in front of Accord that append the client's address to X-Forwarded-For. 0 ignores the header,
# which anyone can send: the address is the connection's.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} cannot be negative")
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
# Counts an address's failures against LOGIN_ADDRESS_FAILURE_LIMIT, an account's against LOGIN_FAILURE_LIMIT.
AXES_HANDLER = "accord.accounts.LoginAttemptHandler"
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Attempts during a lockout neither count nor extend it, so the time the page announces holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A correct password clears that account's failures from that address only (accord.accounts.AccountBackend).
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "accord.accounts.client_address"
AXES_LOCKOUT_CALLABLE = "accord.accounts.lockout_response"
# Successful logins are not recorded: only the failures the throttle needs, which expire with the lockout time.
AXES_DISABLE_ACCESS_LOG = True

# Mail leaves only through a server named here. Without one, the password-reset page says how else to get a new
# password, and nothing pretends to send.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
# A mail server that does not answer must not hold a web worker for long.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "webmaster@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.dummy.EmailBackend"
)

# Item content is untrusted model output: only our own static scripts may run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

REST_FRAMEWORK = {
    # The first class's challenge answers a request without credentials: 401 with `WWW-Authenticate: Bearer`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `Authorization: Bearer <token>`, wrong tokens counted as failed logins.
        "annotate.api_auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # DRF's basic authentication, throttled as the login page is.
        "accord.accounts.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "accord.input_checks.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One error shape for every failure: {"error": {"code", "message", "field", "row", "details"}}.
    "EXCEPTION_HANDLER": "accord.api_errors.exception_handler",
    # Every API view: each token and each user is held to a rate, counted in the configured cache.
    "DEFAULT_THROTTLE_CLASSES": ["annotate.api_auth.TokenRateThrottle", "annotate.api_auth.UserRateThrottle"],
}
# Requests per user (across sessions and tokens) and per API token.
API_RATE_USER = env_rate("API_RATE_USER", "600/min")
API_RATE_TOKEN = env_rate("API_RATE_TOKEN", "600/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord API",
    "DESCRIPTION": (
        "Datasets, rubrics, campaigns, rating, agreement, leaderboards, adjudication and exports.\n\n"
        "Authenticate with `Authorization: Bearer <token>` (an API token from your account's API tokens page). "
        "Every list is a page `{next, previous, results}`: follow `next`; `limit` takes 1 to 1,000 rows. "
        'Every error has one shape, `{"error": {"code", "message", "field", "row", "details"}}`: `field` names '
        "the body field or query parameter at fault, `row` the line of a file or the record of a JSON body."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from the vendored sidecar package: no CDN at run time. Its page is
    # templates/drf_spectacular/swagger_ui.html, without the inline style the CSP would refuse.
    "SWAGGER_UI_DIST": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accord.api_errors.add_error_responses",
        "accord.api_docs.arrange_operations",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
