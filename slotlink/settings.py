"""Slotlink settings, read from the environment (see .env.example).

SLOTLINK_ENV=production switches on the hardened settings and refuses to start without the
secrets a real deployment needs; the default, development, runs on SQLite with demo keys.
"""

import base64
import hashlib
import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from slotlink.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = env_str("SLOTLINK_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"SLOTLINK_ENV must be development or production, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

_DEV_SECRET_KEY = "development-only-not-secret-slotlink-key-0123456789abcdef"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])

# Booking-link tokens are kept only encrypted (Fernet). Several comma-separated keys allow
# rotation: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and not PRODUCTION:
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    ]

# The address patients reach, used to build the links put in text messages.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Used only by seed_demo; production refuses to run with demo accounts present.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "" if PRODUCTION else "slotlink-demo")

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DEBUG must be off")
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a long random value")
    if not FIELD_ENCRYPTION_KEYS:
        problems.append("FIELD_ENCRYPTION_KEYS must be set")
    if DEMO_PASSWORD:
        problems.append("DEMO_PASSWORD must not be set")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must be set")
    if not PUBLIC_BASE_URL.startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be an https:// address")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "slotlink.clinic",
    "slotlink.booking",
    "slotlink.messaging",
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
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "slotlink.middleware.NoStoreMiddleware",
    "slotlink.contention.ContentionMiddleware",
]

ROOT_URLCONF = "slotlink.urls"
WSGI_APPLICATION = "slotlink.wsgi.application"
AUTH_USER_MODEL = "clinic.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clinic:patient_search"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "slotlink" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL")
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
        config["CONN_HEALTH_CHECKS"] = True
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {
            # Writers take the lock when the transaction begins, so a transaction that reads
            # then writes can never be overtaken between its check and its insert.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
        # A file, not memory: race tests need real separate connections, as in production.
        # One per test process, so parallel runs never share it.
        "TEST": {
            "NAME": env_str(
                "SQLITE_TEST_PATH",
                str(Path(tempfile.gettempdir()) / f"slotlink-test-{os.getpid()}.sqlite3"),
            )
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The project package is not an installed app, so its own static files need naming here.
STATICFILES_DIRS = [BASE_DIR / "slotlink" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Staff sessions end after 15 minutes idle (refreshed on each request) and patients' sessions
# are bound to one link; neither outlives the browser.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 15 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Not "no-referrer": under it browsers send `Origin: null` with every form POST, which Django's
# CSRF check rejects. "same-origin" still tells other sites nothing.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    CSRF_COOKIE_HTTPONLY = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_tokens": {"()": "slotlink.logfilters.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own console handler, which would log paths unredacted.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # runserver's own request log; routed through our handler so tokens are redacted.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

SMS_BACKEND = env_str("SMS_BACKEND", "slotlink.messaging.backends.OutboxBackend")
# The staff outbox page, which shows the texts in full, exists only outside production.
DEMO_MODE = env_bool("DEMO_MODE", default=not PRODUCTION)
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / env_str("MEDIA_DIR", "media")
