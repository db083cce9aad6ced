"""Settings for the Adaptive Study Planner, read from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp import constants as csp_constants

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# Production must fail fast without real secrets; development gets throwaway ones.
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-insecure-secret-key-change-me-0123456789abcdef")
    FIELD_ENCRYPTION_KEY = env(
        "FIELD_ENCRYPTION_KEY", default="dev:ZGV2LWtleS1uZXZlci11c2UtaW4tcHJvZHVjdGlvbiE="
    )
else:
    SECRET_KEY = env("SECRET_KEY")
    FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY")
FIELD_ENCRYPTION_OLD_KEYS = env.list("FIELD_ENCRYPTION_OLD_KEYS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    # Account flows: sign-up with email verification, login by email, password reset, email
    # change, and an optional TOTP second factor with recovery codes.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "planner",
    "accounts",
    "courses",
    "mastery",
    "scheduling",
    "integrations",
    "journey",
]

MIDDLEWARE = [
    # First, so every log line of a request carries its id.
    "planner.middleware.RequestIdMiddleware",
    # Before anything that reads the session, the user or the database: probes need none.
    "planner.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside whitenoise, so static files get Permissions-Policy too.
    "accounts.headers.SecurityHeadersMiddleware",
    # django-csp's, with the policy string built once (accounts/headers.py).
    "accounts.headers.ContentSecurityPolicyMiddleware",
    "accounts.middleware.AuditRequestMiddleware",
    # Around everything that writes: a request's follow-ups run once per student at its end.
    "accounts.middleware.CoalescingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Session, authentication and messages: Django's, skipped by token API calls (no session).
    "planner.browser_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "planner.browser_middleware.AuthenticationMiddleware",
    # Before any view reads a query parameter: a NUL in it answers 400 (accounts/hygiene.py).
    "accounts.hygiene.QueryStringHygieneMiddleware",
    "planner.browser_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "planner.middleware.StudentTimezoneMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, as axes documents: it turns a lockout raised by any login path into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "planner.urls"
WSGI_APPLICATION = "planner.wsgi.application"
ASGI_APPLICATION = "planner.asgi.application"

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
                "journey.context_processors.setup_resume",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, with a health check that skips connections in use moments ago.
    DATABASES["default"]["ENGINE"] = "planner.db"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"

# Axes first: it refuses a locked-out username+IP before any password is checked. allauth's
# backend logs students in by email (and refuses an unverified one); Django's stays for the admin.
# Those two as accounts/backends.py subclasses them: a session's user comes from the cache when
# warm (accounts/session_user.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
    "accounts.backends.AdminBackend",
]
SESSION_USER_CACHE_ENABLED = env.bool("SESSION_USER_CACHE_ENABLED", default=True)

# Argon2 (memory-hard) for new and upgraded hashes; the PBKDF2 hashers stay so existing
# passwords still verify, and Django rehashes them with Argon2 at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

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
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Without collectstatic (development and tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Study Planner <noreply@localhost>")
# Production mail: either EMAIL_URL (smtp+tls://user:password@host:587, see the README) or the
# separate EMAIL_HOST/PORT/HOST_USER/HOST_PASSWORD/USE_TLS/USE_SSL settings.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_HOST = env("EMAIL_HOST", default="") or "localhost"
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# A relay that stops answering must not hold a web thread for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Account flows (django-allauth) ----------------------------------------------------------
# The address is the login; a student logs in only once it is verified, so nobody can sign up
# with someone else's address and use it. Sign-up with a taken address answers exactly as a new
# one and mails its owner instead (ACCOUNT_PREVENT_ENUMERATION), so the form tells nobody who
# is registered.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "accounts.allauth_adapter.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
# A reset asked for an address with no account sends nothing: the planner mails only addresses
# that signed up (and the sign-up verification), never one typed by a stranger.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# One address per student: a change is made by verifying the new address, which then replaces
# the old one; the old one is told (ACCOUNT_EMAIL_NOTIFICATIONS).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Logins last as Django's sessions do (SESSION_COOKIE_AGE), as before allauth; no checkbox.
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Study Planner] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Links in account mail are signed and expire: verification after this many days (and works
# once: a verified address no longer matches the signed key), password reset after
# PASSWORD_RESET_TIMEOUT (the token hashes the password, so it works once too).
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = env.int(
    "ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS", default=3
)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=60 * 60)
# Requests a person may make, counted in the cache (Redis in production, shared by every web
# process). Password-reset mails: per address ("key") and per client IP, so a burst cannot flood
# a mailbox; past either limit the form refuses with the same answer for any address.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=3)
PASSWORD_RESET_PER_IP_PER_HOUR = env.int("PASSWORD_RESET_PER_IP_PER_HOUR", default=20)
ACCOUNT_RATE_LIMITS = {
    "reset_password": (
        f"{PASSWORD_RESET_PER_IP_PER_HOUR}/h/ip,{PASSWORD_RESET_PER_ADDRESS_PER_HOUR}/h/key"
    ),
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    # Verification mails (sign-up, resend, a changed address): one per address per 3 minutes.
    "confirm_email": "1/3m/key",
    "change_email": "5/h/user",
    "manage_email": "10/m/user",
    "change_password": "5/m/user",
    # Axes locks a username+IP after AXES_FAILURE_LIMIT failures; this bounds one IP trying
    # many usernames.
    "login_failed": "10/m/ip",
    "login": "30/m/ip",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "accounts.allauth_adapter.MFAAdapter"
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Study Planner")

# The site's public address: emails sent by workers (no request to read it from) link here.
SITE_URL = env("SITE_URL", default="http://localhost:8000")

# --- Notifications (docs/notifications.md) ---------------------------------------------------
# Beat looks for daily emails every slot; the time a student picks is on the same grid.
NOTIFY_SLOT_MINUTES = 15
# Students (or events) handled by one task run; a full batch re-queues the rest.
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=500)
# Web Push (VAPID). Without a private key no push is sent and the browser is not offered it.
WEBPUSH_VAPID_PUBLIC_KEY = env("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_PRIVATE_KEY = env("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env("WEBPUSH_VAPID_SUBJECT", default="mailto:admin@localhost")
# The push services browsers use; an endpoint elsewhere is refused, so a subscription can
# never point the worker at an internal address.
WEBPUSH_ENDPOINT_HOSTS = env.list(
    "WEBPUSH_ENDPOINT_HOSTS",
    default=[
        "fcm.googleapis.com",
        "push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
)
WEBPUSH_ALLOW_HTTP = env.bool("WEBPUSH_ALLOW_HTTP", default=False)

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    # With Redis down every cache call acts as a miss (logged) instead of failing the request,
    # and cached_db sessions fall back to the database, so students stay logged in. Short
    # socket timeouts keep an unreachable Redis from holding a request for long.
    CACHES = {
        "default": {
            # django-redis with a circuit breaker: after one failed call the process skips
            # Redis for REDIS_BREAKER_SECONDS, so a hung Redis costs one timeout, not one a call.
            "BACKEND": "planner.cache.BreakerRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_SOCKET_CONNECT_TIMEOUT", default=1.0),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=1.0),
                "BREAKER_SECONDS": env.float("REDIS_BREAKER_SECONDS", default=5.0),
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # Django's cached_db, reading sessions signed in under the library backends' names.
    SESSION_ENGINE = "accounts.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The dashboard's costly panels are cached per student and retired on every change to them;
# the lifetime only bounds how long a change missed while Redis was unreachable can show.
DASHBOARD_CACHE_ENABLED = env.bool("DASHBOARD_CACHE_ENABLED", default=True)
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)
# Each web process also keeps the parts it served lately in memory, up to this many characters
# of HTML (0 keeps none): a warm page then fetches no large part from Redis.
PAGE_CACHE_LOCAL_CHARS = env.int("PAGE_CACHE_LOCAL_CHARS", default=16_000_000)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
# With no broker, tasks run in-process so the embedded default needs no services.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    # Celery acquires a producer even for a task it runs eagerly; with no broker at all it would
    # build one for the default AMQP host and warn. The in-memory transport needs no service.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task has limits; individual tasks may tighten them.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=150)
CELERY_TASK_DEFAULT_QUEUE = "planning"
CELERY_TASK_ROUTES = {
    "mastery.tasks.*": {"queue": "mastery"},
    "scheduling.tasks.*": {"queue": "planning"},
    "integrations.tasks.*": {"queue": "sync"},
    "journey.tasks.*": {"queue": "notify"},
}
# A redelivered late-acked task must not run twice concurrently because visibility ran out:
# an hour, far above any task's hard limit. A worker killed mid-task has its message
# redelivered once this has passed.
BROKER_VISIBILITY_TIMEOUT_S = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
# Publishing happens on commit inside a request. With the broker down it must fail fast (the
# pending records and beat sweeps resend the work), so connecting and publishing give up
# after about a second instead of Celery's default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT_S,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    # Bounds a publish to a hung Redis (it accepts the connection, then never answers). Above
    # the worker's 1 s blocking pop, so an idle worker never times out its own read.
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
}
# The result backend is the same Redis: bounded waits there too, and no retrying for long
# (nothing on the request path or in beat waits on a result).
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1}}
# A worker whose broker goes away keeps trying to reconnect for ever instead of exiting, and
# re-queues the late-acked task it was running (acks_late: the redelivery runs it again, which
# every task tolerates) rather than finish it on a connection it can no longer ack on.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
# Beat sends each periodic task without a result: a kept result makes beat subscribe to the
# result backend, which retries for many seconds while Redis is down and lets the schedule
# drift.
PERIODIC_OPTIONS = {"ignore_result": True}
# How old a pending recompute or replan request must be before its sweep resends it (the
# sweeps run every minute). Younger ones may still be queued or retrying from their own publish;
# a resend of an older one is at worst a harmless duplicate. A recompute gives up retrying well
# within a minute, so after an outage its topic is caught up by the next sweep.
PENDING_SWEEP_GRACE_SECONDS = env.float("PENDING_SWEEP_GRACE_SECONDS", default=60.0)
PENDING_SWEEP_INTERVAL_SECONDS = env.float("PENDING_SWEEP_INTERVAL_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "nightly-replan-sweep": {
        "task": "scheduling.tasks.nightly_replan_sweep",
        "schedule": crontab(minute=5),
        "options": PERIODIC_OPTIONS,
    },
    "integrations-poll-sweep": {
        "task": "integrations.tasks.poll_sweep",
        "schedule": 60.0,
        "options": PERIODIC_OPTIONS,
    },
    "lms-sync-sweep": {
        "task": "integrations.tasks.lms_sync_sweep",
        "schedule": 600.0,
        "options": PERIODIC_OPTIONS,
    },
    "outbox-sweep": {
        "task": "integrations.tasks.outbox_sweep",
        "schedule": 120.0,
        "options": PERIODIC_OPTIONS,
    },
    # Recomputes and replans whose enqueue was lost (broker down) or whose worker died.
    "mastery-pending-sweep": {
        "task": "mastery.tasks.pending_sweep",
        "schedule": PENDING_SWEEP_INTERVAL_SECONDS,
        "options": PERIODIC_OPTIONS,
    },
    "replan-pending-sweep": {
        "task": "scheduling.tasks.replan_pending_sweep",
        "schedule": PENDING_SWEEP_INTERVAL_SECONDS,
        "options": PERIODIC_OPTIONS,
    },
    "gain-refresh-pending-sweep": {
        "task": "scheduling.tasks.gain_refresh_pending_sweep",
        "schedule": PENDING_SWEEP_INTERVAL_SECONDS,
        "options": PERIODIC_OPTIONS,
    },
    # Notifications: the daily plan and weekly summary by local send slot, block reminders,
    # and the sweep of plan events and pending deliveries.
    "notify-slot-sweep": {
        "task": "journey.tasks.slot_sweep",
        "schedule": crontab(minute=f"*/{NOTIFY_SLOT_MINUTES}"),
        "options": PERIODIC_OPTIONS,
    },
    "notify-reminders-sweep": {
        "task": "journey.tasks.reminders_sweep",
        "schedule": 60.0,
        "options": PERIODIC_OPTIONS,
    },
    "notify-sweep": {
        "task": "journey.tasks.notify_sweep",
        "schedule": PENDING_SWEEP_INTERVAL_SECONDS,
        "options": PERIODIC_OPTIONS,
    },
    # The forecast learns from a week of new evidence; Monday night, when few students work.
    "mastery-fit-forecast": {
        "task": "mastery.tasks.fit_forecast",
        "schedule": crontab(minute=30, hour=3, day_of_week=1),
        "options": PERIODIC_OPTIONS,
    },
}

# --- REST API -------------------------------------------------------------------------------
# Input limits (docs/input-limits.md). A request body (form or JSON) of at most 2 MiB: a grade
# import of a thousand rows is about 200 KB. Uploaded files are bounded separately, below.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# No request of this API nests deeper than a handful of levels; 32 leaves room for any client.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
# Every import (course CSV, grade rows, iCalendar file) shares these: a term's data is tens of
# rows, and one synchronous request stays bounded.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1000)
# An LMS calendar covers a few terms of a few courses; more events is not a student's feed.
IMPORT_MAX_EVENTS = env.int("IMPORT_MAX_EVENTS", default=2000)
# A flashcard image is a diagram or a photo of one, shown at card size: 512 KB is plenty and keeps
# a deck of hundreds of images within tens of megabytes in the database.
CARD_IMAGE_MAX_BYTES = env.int("CARD_IMAGE_MAX_BYTES", default=512 * 1024)
# An Anki package of 10,000 text cards with their review history is a few megabytes; 50 MB
# bounds the upload and the collection unpacked from it (a zip bomb cannot fill the disk).
APKG_MAX_BYTES = env.int("APKG_MAX_BYTES", default=50 * 1024 * 1024)
APKG_MAX_CARDS = env.int("APKG_MAX_CARDS", default=20_000)

REST_FRAMEWORK = {
    # Token first: a bad Bearer token then answers 401 with a WWW-Authenticate challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Authentication first, then a NUL in the query string answers 400 (accounts/hygiene.py).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.hygiene.CleanQueryString",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Programs speak JSON; only the import endpoints also take uploads (they declare their own).
    # Bounded in size and depth, refusing NUL and lone surrogates (accounts/hygiene.py).
    "DEFAULT_PARSER_CLASSES": ["accounts.hygiene.HygieneJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "planner.api.exception_handler",
    # No OPTIONS metadata: it would describe endpoints (and confirm objects) to any caller.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Creating tokens is rate-limited per user, so a stolen session cannot mint them in bulk.
    "DEFAULT_THROTTLE_RATES": {
        "token_create": env("API_TOKEN_CREATE_RATE", default="10/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Adaptive Study Planner API",
    "DESCRIPTION": "Courses, topics, assessments, grades, mastery and the study plan.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema enum per product enum, however many serializers reuse it.
    "ENUM_NAME_OVERRIDES": {
        "DifficultyEnum": "courses.models.Difficulty",
        "AssessmentTypeEnum": "courses.models.AssessmentType",
        "ResourceTypeEnum": "courses.models.ResourceType",
        "TrendEnum": "mastery.models.Trend",
        # The at-risk row's status (scheduling.services.at_risk.RiskStatus), not a task's.
        "RiskStatusEnum": ["on_track", "short_of_time", "crowded_out"],
        "TaskStatusEnum": "scheduling.models.TaskStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "planner.api.document_refused_input",
    ],
}
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)

# --- External providers (overridable so tests and demos can point real clients at fakes) ----
GOOGLE_API_ENDPOINT = env("GOOGLE_API_ENDPOINT", default="https://www.googleapis.com")
GOOGLE_TOKEN_URI = env("GOOGLE_TOKEN_URI", default="https://oauth2.googleapis.com/token")
GOOGLE_AUTH_URI = env("GOOGLE_AUTH_URI", default="https://accounts.google.com/o/oauth2/auth")
GOOGLE_REVOKE_URI = env("GOOGLE_REVOKE_URI", default="https://oauth2.googleapis.com/revoke")
GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET", default="")
NOTION_BASE_URL = env("NOTION_BASE_URL", default="https://api.notion.com")
# Canvas OAuth2 (docs/integrations.md): a developer key issued by the school's Canvas admin.
# Without it, students connect Canvas with a personal access token.
CANVAS_CLIENT_ID = env("CANVAS_CLIENT_ID", default="")
CANVAS_CLIENT_SECRET = env("CANVAS_CLIENT_SECRET", default="")
# Notion OAuth (a public integration); with no client id only a pasted token connects.
NOTION_CLIENT_ID = env("NOTION_CLIENT_ID", default="")
NOTION_CLIENT_SECRET = env("NOTION_CLIENT_SECRET", default="")
NOTION_AUTH_URI = env("NOTION_AUTH_URI", default="https://api.notion.com/v1/oauth/authorize")
DEMO_FAKE_PROVIDERS = env.bool("DEMO_FAKE_PROVIDERS", default=False)
# Sync retry backoff (base doubles per retry, capped); tests shorten it for a real worker.
SYNC_BACKOFF_BASE_SECONDS = env.float("SYNC_BACKOFF_BASE_SECONDS", default=10.0)
SYNC_BACKOFF_MAX_SECONDS = env.float("SYNC_BACKOFF_MAX_SECONDS", default=600.0)
# How long a dead worker's sync lock blocks the student's next sync; it must outlive the sync
# task's hard time limit (120 s) so two live runs never overlap.
SYNC_LOCK_TIMEOUT_SECONDS = env.int("SYNC_LOCK_TIMEOUT_SECONDS", default=150)
# The outbox sweep leaves rows younger than this to the enqueue that wrote them.
SYNC_OUTBOX_GRACE_SECONDS = env.float("SYNC_OUTBOX_GRACE_SECONDS", default=60.0)

PLANNING_HORIZON_DAYS = env.int("PLANNING_HORIZON_DAYS", default=14)

# LMS feeds are fetched from student-supplied URLs: private and link-local hosts are refused
# so the server cannot be used to probe its own network (SSRF). Tests serve feeds on loopback.
LMS_FEED_ALLOW_PRIVATE_HOSTS = env.bool("LMS_FEED_ALLOW_PRIVATE_HOSTS", default=False)
LMS_FEED_TIMEOUT_SECONDS = env.float("LMS_FEED_TIMEOUT_SECONDS", default=10.0)
LMS_FEED_MAX_BYTES = env.int("LMS_FEED_MAX_BYTES", default=2 * 1024 * 1024)
# Each fetch can hold a web thread for the whole timeout, so fetches are limited per student.
LMS_FEED_FETCHES_PER_HOUR = env.int("LMS_FEED_FETCHES_PER_HOUR", default=30)

# Per-student quotas (courses.quotas): far above a real degree, low enough that a script or a
# hostile feed cannot fill the tables the planner and the mastery fold read on every run.
QUOTA_COURSES_PER_STUDENT = env.int("QUOTA_COURSES_PER_STUDENT", default=100)
QUOTA_ASSESSMENTS_PER_STUDENT = env.int("QUOTA_ASSESSMENTS_PER_STUDENT", default=1000)
QUOTA_IMPORTS_PER_STUDENT_PER_DAY = env.int("QUOTA_IMPORTS_PER_STUDENT_PER_DAY", default=50)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: returning from Google's OAuth consent is a cross-site top-level GET, and
# Strict would drop the session cookie there and show the student as logged out. Lax still
# withholds both cookies from cross-site POSTs, which is what CSRF needs.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: forms use {% csrf_token %} and htmx sends the token from
# the hx-headers attribute that base.html renders.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000  # one year
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Strict by default: scripts only from this origin or with the per-response nonce, no inline
# styles (colours are CSS classes or SVG fill attributes), no plugins, no framing. The API docs
# pages relax style-src for themselves only (planner/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

# Login throttling: a lockout applies to one username from one IP address together, so an
# attacker guessing from one address cannot lock the real student out from everywhere else.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the failure that locked; retrying while locked does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# Axes and the audit trail see the same client address (see AUDIT_TRUST_X_FORWARDED_FOR).
AXES_CLIENT_IP_CALLABLE = "accounts.audit.client_ip"
# Only behind a proxy that overwrites X-Forwarded-For may its first hop be taken as the client.
AUDIT_TRUST_X_FORWARDED_FOR = env.bool("AUDIT_TRUST_X_FORWARDED_FOR", default=False)

# One JSON object per line in production, for log shippers; plain text while developing.
# An empty value (as in .env.example) means the default for the mode.
LOG_FORMAT = env("LOG_FORMAT", default="") or ("text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "planner.middleware.RequestContextFilter"},
        "redact_secret_paths": {"()": "accounts.logfilters.RedactSecretPathsFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            # ISO 8601 in UTC, under "time".
            "timestamp": "time",
        },
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_context", "redact_secret_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Also on the loggers that write request paths, so every handler gets redacted records.
        "django.request": {"filters": ["redact_secret_paths"]},
        "django.server": {"filters": ["redact_secret_paths"]},
    },
}
# Workers log through the same handler (JSON with the request id) instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
