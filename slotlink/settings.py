"""Slotlink settings, read from the environment (see .env.example).

SLOTLINK_ENV=production switches on the hardened settings and refuses to start without the
secrets a real deployment needs; the default, development, runs on SQLite with demo keys.
"""

import base64
import hashlib
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from slotlink.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = env_str("SLOTLINK_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"SLOTLINK_ENV must be development or production, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

# Development only: production refuses to start with it (below).
_DEV_SECRET_KEY = "development-only-not-secret-slotlink-key-0123456789abcdef"  # noqa: S105  # nosec B105
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
# Earlier keys, still accepted for what they signed (sessions, password reset links) while a new
# SECRET_KEY takes over: see docs/deploy.md, "Rotating keys".
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
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
# The staff outbox page shows texts in full (links, codes) only in demo mode: never in
# production, which refuses to start with it (below).
DEMO_MODE = env_bool("DEMO_MODE", default=not PRODUCTION)

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
    if DEMO_MODE:
        problems.append("DEMO_MODE must be off (it shows every text, link and code to staff)")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must be set")
    if not PUBLIC_BASE_URL.startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be an https:// address")
    # Uploaded logos: every app server must read what any one of them wrote, and a redeploy
    # must not lose them, so not a directory inside the code (docs/deploy.md).
    if not Path(env_str("MEDIA_DIR")).is_absolute():
        problems.append("MEDIA_DIR must be an absolute path on storage every app server shares")
    if not {"admin", "superuser"} <= set(env_list("OTP_REQUIRED_FOR", ["admin", "superuser"])):
        problems.append("OTP_REQUIRED_FOR must include admin and superuser")
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "oauth2_provider",
    "slotlink.clinic",
    "slotlink.booking",
    "slotlink.questionnaires",
    "slotlink.portal",
    "slotlink.records",
    "slotlink.messaging",
    "slotlink.audit",
    "slotlink.accounts",
    "slotlink.ops",
    "slotlink.api",
]

# The FHIR API's OAuth 2.0 server (django-oauth-toolkit; slotlink/api, ADR 9). Clients use the
# client-credentials grant only; their secrets are stored hashed (Django's password hashers)
# and access tokens only as a SHA-256 checksum, never in plain.
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "slotlink.api.scopes.ClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,  # nosec B105 - a lifetime, not a secret
    # The OAuth 2.0 security best practice (RFC 9700) throughout: no implicit or password
    # grant, tokens never in URLs, refresh-token replay detected, https redirects only (none
    # of which client credentials use, so nothing is left half-open).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # nosec B105 - a switch, not a secret
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # nosec B105 - a switch, not a secret
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Its application model (its default), named here because the api app's migration depends on
# it by this setting, which makemigrations looks up.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

MIDDLEWARE = [
    # First: /healthz, /readyz and /metrics, answered before anything else (see ops.middleware).
    "slotlink.ops.middleware.ProbeMiddleware",
    # Then every other request gets an id, a log line and its metrics.
    "slotlink.lib.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, but contention when saving the session never turns the view's answer into an
    # error (see lib.contention).
    "slotlink.lib.contention.SessionMiddleware",
    "slotlink.lib.middleware.SessionKeepAliveMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Patient pages in the patient's language (a cookie, no query); staff pages in English.
    "slotlink.portal.language.PatientLanguageMiddleware",
    "slotlink.accounts.middleware.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the header built once (lib/middleware.py).
    "slotlink.lib.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "slotlink.lib.middleware.NoStoreMiddleware",
    "slotlink.lib.contention.ContentionMiddleware",
    # Last, as django-axes asks: it turns its lock-out into the page below.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "slotlink.urls"
WSGI_APPLICATION = "slotlink.wsgi.application"
AUTH_USER_MODEL = "clinic.User"
# Axes first: it refuses a locked-out account or client before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "slotlink.accounts.backends.StaffBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clinic:home"
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
                "slotlink.messaging.context.unread_messages",
            ],
        },
    },
]


# How long one statement waits for a lock another transaction holds before it fails
# ("database is locked" on SQLite, lock_timeout on PostgreSQL). slotlink/lib/contention.py retries
# within its budget of a few seconds and then shows the "busy" page, so a held lock never
# keeps anyone waiting past a proxy's time-out. (PostgreSQL gets it as a connection option;
# behind PgBouncer in transaction mode, set it on the role: ALTER ROLE … SET lock_timeout.)
DATABASE_LOCK_WAIT_SECONDS = 3


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL")
    if url:
        parsed = dj_database_url.parse(url, conn_max_age=60)
        options = dict(parsed.get("OPTIONS", {}))
        options["options"] = (
            f"-c lock_timeout={DATABASE_LOCK_WAIT_SECONDS}s {options.get('options', '')}".strip()
        )
        # Parameters travel apart from the SQL, and a statement a connection runs a few times
        # is prepared: PostgreSQL parses and plans it once, not per request (the booking
        # walk's database CPU -40%, docs/benchmarks.md). A statement whose best plan depends
        # on its values runs inside lib.planning.planned_with_values. A pooler that cannot
        # keep prepared statements (PgBouncer in transaction mode before 1.21, or without
        # max_prepared_statements) needs DATABASE_PREPARED_STATEMENTS=false.
        options.setdefault("server_side_binding", True)
        options.setdefault(
            "prepare_threshold",
            5 if env_bool("DATABASE_PREPARED_STATEMENTS", default=True) else None,
        )
        return {
            **parsed,
            # Django's backend with a health check that needs no round trip (lib/postgresql).
            "ENGINE": "slotlink.lib.postgresql",
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {
            # Writers take the lock when the transaction begins, so a transaction that reads
            # then writes can never be overtaken between its check and its insert.
            "transaction_mode": "IMMEDIATE",
            "timeout": DATABASE_LOCK_WAIT_SECONDS,
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
# Patient pages and texts come in English and Welsh (portal.language); staff pages in English.
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "slotlink" / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts them (an image collects them when built; see scripts/serve).
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", "staticfiles")
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

# Staff sessions end after 15 minutes idle (see SessionKeepAliveMiddleware) and patients' sessions
# are bound to one link; neither outlives the browser.
# Database sessions, and a made-up manage link's stand-in that writes none (portal/sessions.py).
SESSION_ENGINE = "slotlink.portal.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 15 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The patient's language for this browser session (portal/language.py): no age, so it goes
# when the browser closes; strictly necessary, as the cookie statement says.
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = None
LANGUAGE_COOKIE_HTTPONLY = True
# Not "no-referrer": under it browsers send `Origin: null` with every form POST, which Django's
# CSRF check rejects. "same-origin" still tells other sites nothing.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Staff sessions also end this long after logging in, however busy (see accounts.middleware).
SESSION_MAX_AGE_SECONDS = env_int("SESSION_MAX_AGE_SECONDS", 12 * 60 * 60)
if SESSION_MAX_AGE_SECONDS <= 0 or SESSION_COOKIE_AGE <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_SECONDS and SESSION_MAX_AGE_SECONDS must be positive")

# How many reverse proxies (load balancer, ingress…) sit in front of the app and append to
# X-Forwarded-For. 0 trusts only the socket's address. Throttling counts per client by this.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# Login throttling (django-axes): after this many failures an account, and separately a
# client, is locked out for the cool-off period, even against the right password.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "slotlink.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "slotlink.lib.clientip.client_ip"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]
AXES_VERBOSE = False
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT must be 1 or more")

# Two-factor authentication (django-otp, an authenticator app). Required for these roles (and
# Django superusers); anyone else may switch it on, after which it is required for them too.
OTP_REQUIRED_FOR = env_list("OTP_REQUIRED_FOR", ["admin", "superuser"])
if set(OTP_REQUIRED_FOR) - {"therapist", "admin", "superuser"}:
    raise ImproperlyConfigured(
        f"OTP_REQUIRED_FOR may name therapist, admin and superuser only, not {OTP_REQUIRED_FOR}"
    )
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Slotlink")

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_NAME = "__Host-language"
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

# "json" (one object per line, for a log collector) or "plain" (for a person at a terminal).
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "slotlink.lib.logfilters.JsonLines"},
    },
    "filters": {
        "redact_tokens": {"()": "slotlink.lib.logfilters.RedactTokens"},
        "request_context": {"()": "slotlink.lib.logfilters.RequestContext"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_tokens", "request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own console handler, which would log paths unredacted.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # Axes logs every login at INFO, usernames included; failures and lock-outs are kept
        # in its own tables, and warnings still come through.
        "axes": {"level": "WARNING"},
        # runserver's own request log; routed through our handler so tokens are redacted.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Text messages: "outbox" keeps them in the database (development), "notify" or "twilio" send
# them. A service's own provider settings, where set, take precedence.
SMS_PROVIDER = env_str("SMS_PROVIDER", "outbox")
if SMS_PROVIDER not in {"outbox", "notify", "twilio"}:
    raise ImproperlyConfigured(
        f"SMS_PROVIDER must be outbox, notify or twilio, not {SMS_PROVIDER!r}"
    )
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY")
NOTIFY_SMS_TEMPLATE_ID = env_str("NOTIFY_SMS_TEMPLATE_ID")
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_CALLBACK_TOKEN = env_str("NOTIFY_CALLBACK_TOKEN")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM = env_str("TWILIO_FROM")
TWILIO_BASE_URL = env_str("TWILIO_BASE_URL")
PROVIDER_TIMEOUT_SECONDS = float(env_int("PROVIDER_TIMEOUT_SECONDS", 10))
# Failed sends are tried again after base × 2^attempt seconds (with jitter), this many times.
MESSAGE_RETRY_BASE_SECONDS = env_int("MESSAGE_RETRY_BASE_SECONDS", 30)
MESSAGE_MAX_ATTEMPTS = env_int("MESSAGE_MAX_ATTEMPTS", 8)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@example.com")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
# Set-password links for new staff go by email only when this is on: the default email backend
# (the console) would write them into the logs. Off, they are shown once to whoever made them.
STAFF_LINKS_BY_EMAIL = env_bool("STAFF_LINKS_BY_EMAIL", default=False)
if STAFF_LINKS_BY_EMAIL and EMAIL_BACKEND.endswith(("console.EmailBackend", "dummy.EmailBackend")):
    raise ImproperlyConfigured("STAFF_LINKS_BY_EMAIL needs a real EMAIL_BACKEND (such as smtp)")
# Uploaded logos. Production serves them from the proxy (deploy/nginx.conf), not from Django.
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / env_str("MEDIA_DIR", "media")


def _retention_days(name: str, default: int) -> int:
    days = env_int(name, default)
    if days < 1:
        raise ImproperlyConfigured(f"{name} must be a number of days, 1 or more, not {days}")
    return days


# Retention (slotlink/ops/retention.py, run by `retention_apply` and housekeeping): how long
# each class of record is kept after it has served its purpose, in days.
RETENTION_DAYS = {
    # A link's encrypted token (kept so staff can copy a live link) after its validity ended.
    "link_tokens": _retention_days("RETENTION_LINK_TOKEN_DAYS", 30),
    # The text and recipient of a message once it is finished with (sent, failed…).
    "message_bodies": _retention_days("RETENTION_MESSAGE_BODY_DAYS", 90),
    # Verification throttles (hashed client addresses) and spent codes.
    "verification_throttles": _retention_days("RETENTION_THROTTLE_DAYS", 1),
    # Staff login records (username, address, browser) kept by django-axes.
    "login_records": _retention_days("RETENTION_LOGIN_RECORD_DAYS", 90),
    # The audit log itself.
    "audit_events": _retention_days("RETENTION_AUDIT_DAYS", 8 * 365),
}


# Running it (slotlink/ops, docs/deploy.md). Workers run housekeeping this often; /readyz fails
# when no worker has begun a run for READY_WORKER_MAX_AGE_SECONDS (a period, plus a margin for a
# worker busy with another task), or a due text has waited READY_OUTBOX_MAX_LAG_SECONDS.
def _seconds(name: str, default: int) -> int:
    seconds = env_int(name, default)
    if seconds < 1:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, 1 or more, not {seconds}")
    return seconds


HOUSEKEEPING_EVERY_SECONDS = _seconds("HOUSEKEEPING_EVERY_SECONDS", 60)
READY_WORKER_MAX_AGE_SECONDS = _seconds("READY_WORKER_MAX_AGE_SECONDS", 90)
READY_OUTBOX_MAX_LAG_SECONDS = _seconds("READY_OUTBOX_MAX_LAG_SECONDS", 300)
# /metrics answers only a bearer of this token, and not at all when it is empty.
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters long")
