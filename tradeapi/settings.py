"""TradeAPI settings: one module, driven by the environment.

Development defaults are safe to run on a laptop (SQLite file, DEBUG on, loopback only).
Production is whatever runs with DEBUG off, and then the process refuses to start on an
insecure default instead of quietly serving with one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dj_database_url
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

from tradeapi.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Marks the built-in development key so production can recognise and refuse it.
_DEV_SECRET_KEY = "insecure-development-key-do-not-use-in-production"


def throttle_rate(name: str, default: str) -> str | None:
    """A DRF rate string ("120/minute") from the environment, checked at start-up."""
    value = env_str(name, default).strip()
    if value.lower() in {"none", "off", ""}:
        return None
    count, _, period = value.partition("/")
    if not count.isdigit() or period[:1] not in {"s", "m", "h", "d"}:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate like 120/minute (or none to switch it off)."
        )
    return value


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "tradeapi.tokens",
    # Locks out repeated failed logins (the admin's), logged and listed in the admin.
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "corsheaders",
    "agreements",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before the HTTPS redirect and the host check: probes
    # come over plain HTTP with the pod's address as host.
    "tradeapi.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's, the API docs' assets) without a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that can answer, so every answer (errors too) carries CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    # Headers every answer gets whatever answers it (they read only the response and the
    # path): outside the answer cache's middleware below, which then needs no copy of them.
    "tradeapi.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tradeapi.middleware.RequestBodyLimitMiddleware",
    # Reads on a replica when DATABASE_REPLICA_URLS lists any (tradeapi.db), with a request
    # answered again from the primary when its replica fails: so before the outage 503s.
    "tradeapi.db.middleware.ReplicaReadsMiddleware",
    # Anonymous reads whose answers are cached, answered as early as the routing of reads
    # allows: the middleware after it add nothing to an anonymous read's answer (no session,
    # CSRF cookie or messages are touched; the answer has its ETag), and skipping them is
    # most of what a cached answer costs (tradeapi.api.caching; tests compare the bytes).
    "tradeapi.api.caching.CachedAnswerMiddleware",
    # Database outages in views outside DRF (the admin) answer 503 like the API's.
    "tradeapi.middleware.DatabaseOutageMiddleware",
    "tradeapi.api.conditional.ETagMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Lets the audit history record the request's user as the author of each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
]

# django-axes sees every password login first and refuses it while its account or client
# is locked out; then Django's own check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After LOGIN_FAILURE_LIMIT wrong passwords for one account (from anywhere), or from one
# client address (on any accounts), further logins for it are refused for
# LOGIN_LOCKOUT_MINUTES, the right password included. A success clears the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Every failure is kept (admin: Access failures), not only the running count.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# No banner on every start-up: commands' output is read by scripts.
AXES_VERBOSE = False
# The client's address as the throttles read it: X-Forwarded-For only through TRUSTED_PROXIES,
# so a forged header cannot buy an attacker fresh attempts.
AXES_CLIENT_IP_CALLABLE = "tradeapi.api.throttling.client_address"

# API tokens (tradeapi.tokens): days from issue until a token stops working.
TOKEN_TTL_DAYS = env_int("TOKEN_TTL_DAYS", 90)

ROOT_URLCONF = "tradeapi.urls"
WSGI_APPLICATION = "tradeapi.wsgi.application"
ASGI_APPLICATION = "tradeapi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own pages (home, the API docs' templates).
        "DIRS": [BASE_DIR / "tradeapi" / "templates"],
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


# SQLite is the embedded default so a fresh clone runs with nothing else installed;
# PostgreSQL (DATABASE_URL=postgres://...) is what production and CI use.
def database(url: str) -> dict[str, Any]:
    """One DATABASES entry from a URL, with the connection options this service needs."""
    db: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            # Persistent connections: opening one per request costs more than a rate lookup.
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    )
    if db["ENGINE"] == "django.db.backends.postgresql":
        # A slow query must fail rather than pin a worker; the values are milliseconds. Waiting
        # for a lock (a migration's ALTER TABLE, a long write holding a row) gets a much shorter
        # leash than running: otherwise one held lock queues every request behind it until each
        # hits the statement timeout, and all workers stall together. Both answer 503.
        # Parallel query is off by default: the API's queries run in a millisecond or less, and
        # launching workers cost a lookup 13 ms (measured on the loaded HTS: 21.7 ms a lookup
        # with PostgreSQL's default of 2 workers, 6.9 ms without), while concurrent requests
        # already keep the cores busy.
        # The rate engine and the data version read run on server-binding cursors
        # (tradeapi.db.cursors) so PostgreSQL can keep their plans; Django turns psycopg's
        # prepared statements off unless asked. Prepared, they took a lookup's two main queries
        # from 1.6 and 2.0 ms to 0.7 and 0.6 ms on the loaded HTS (planning was most of it).
        # Prepared at their first run, on a generic plan at once: PostgreSQL otherwise plans
        # the first five runs of each statement for their values, at 2 to 2.6 ms of planning
        # each and, for the candidate query, sometimes an 18 ms plan, on every new connection
        # (cold lookups in process: 8.4 to 8.6 ms a lookup against 10.1 to 13.3 ms with a
        # connection every 60 lookups; a 300-line entry 0.287 s against 0.316 s). The generic
        # plans are held to index scans by tests/engine/test_explain.py. Only those cursors
        # prepare: the ORM's queries bind client-side and are never prepared.
        db.setdefault("OPTIONS", {})["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 0)
        db["OPTIONS"]["options"] = (
            f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 15000)} "
            f"-c lock_timeout={env_int('DB_LOCK_TIMEOUT_MS', 2000)} "
            f"-c max_parallel_workers_per_gather={env_int('DB_PARALLEL_WORKERS', 0)} "
            f"-c plan_cache_mode={env_str('DB_PLAN_CACHE_MODE', 'force_generic_plan')}"
        )
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite has no row locks: IMMEDIATE takes the write lock when a transaction begins, so
        # a read-check-write (If-Match) cannot interleave with another writer; the timeout makes
        # a second writer wait for the lock instead of failing at once.
        db.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    return db


DATABASES = {"default": database(env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}

# Read replicas (tradeapi.db): PostgreSQL streaming replicas of the default database, which
# serve the API's reads (tradeapi.db.routers). Comma-separated URLs, one per replica; each
# becomes the alias replica_1, replica_2, ... Writes, migrations, sessions, accounts and a
# client's reads right after its own writes stay on the primary.
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    replica = database(url)
    if replica["ENGINE"] != "django.db.backends.postgresql" or (
        DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs PostgreSQL streaming replicas of a PostgreSQL "
            "DATABASE_URL (postgres://...)."
        )
    # A replica that does not answer must cost a request little: after this many seconds it
    # is skipped (for REPLICA_RETRY_SECONDS) and the primary answers.
    replica["OPTIONS"]["connect_timeout"] = env_int("REPLICA_CONNECT_TIMEOUT_SECONDS", 2)
    # Tests: the replica has the primary's test database by replication, so the test runner
    # neither creates nor flushes one on it (Django points it at the primary's test name).
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{number}"] = replica
DATABASE_ROUTERS = ["tradeapi.db.routers.ReplicaRouter"]
# A replica further behind the primary than this is skipped until it catches up (measured by
# comparing its replayed WAL position with the primary's, not by replay timestamps, which
# grow while the primary is idle).
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 5)
# How often each worker process measures each replica's health and lag.
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 1)
# A replica that failed (refused or dropped a connection) is left alone this long.
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
STATICFILES_DIRS = [BASE_DIR / "tradeapi" / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# The OpenAPI documents as `manage.py build_schema` renders them when deploying (`make serve`):
# the schema endpoint serves them, if they were built from this code (tradeapi.api.schema_build).
SCHEMA_BUILD_DIR = Path(env_str("SCHEMA_BUILD_DIR", str(BASE_DIR / "build" / "schema")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: compressed, content-hashed files (collectstatic, which `make serve` runs)
    # that whitenoise serves with far-future caching. Development and tests read the apps'
    # static folders directly, with no collectstatic step.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Request bodies: the largest legitimate write (a measure with its product list) is a few
# kilobytes; 2.5 MB (Django's default, made explicit) leaves room and bounds the damage.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 2_621_440)

# Shared by the throttles (and anything else cached): Redis when REDIS_URL is set, so every
# worker process counts against the same limits; otherwise per-process memory.
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "tradeapi.redis_cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that is unreachable (not merely refusing) must cost a request half a
            # second at most; the throttles then serve without it (tradeapi.api.throttling).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Rendered answers keyed by the data version (tradeapi.api.caching). Apart from the
    # throttles' so that answers filling it never evict a client's counters; in Redis under
    # their own prefix, shared by every worker.
    "answers": (
        {
            "BACKEND": "tradeapi.redis_cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "answers",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "answers",
            "OPTIONS": {"MAX_ENTRIES": env_int("ANSWER_CACHE_ENTRIES", 5000)},
        }
    ),
}
# How long a cached answer is kept; entries of an old data version are never read again, so
# this only bounds the memory they hold until then. 0 switches the answer cache off.
ANSWER_CACHE_SECONDS = env_int("ANSWER_CACHE_SECONDS", 3600)
# Each process's own copy of the answers it served last, in front of Redis (bodies' bytes;
# tradeapi.api.caching.LocalAnswers). Without Redis the answer cache is in process already.
ANSWER_LOCAL_BYTES = env_int("ANSWER_LOCAL_BYTES", 16 * 1024 * 1024 if REDIS_URL else 0)
# Cache-Control of anonymous reads: how long a browser or proxy may reuse an answer without
# asking, and how much longer it may serve it while it asks in the background.
HTTP_MAX_AGE = env_int("HTTP_MAX_AGE", 5)
HTTP_STALE_WHILE_REVALIDATE = env_int("HTTP_STALE_WHILE_REVALIDATE", 30)

# Browsers on these origins (frontend teams' apps) may call the API. Comma-separated,
# with scheme: CORS_ALLOWED_ORIGINS=https://app.example.org,http://localhost:5173
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*default_headers, "if-match", "if-none-match")
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# HTTPS and security headers. Production (DEBUG off) defaults to the strict setting of each;
# a deployment behind a TLS-terminating proxy sets BEHIND_TLS_PROXY=1 so Django trusts its
# X-Forwarded-Proto header.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Audit history: one index on (history_date, object key) per historical table serves both
# "what happened to this record" and the changes feed's time order.
SIMPLE_HISTORY_DATE_INDEX = "composite"
# The admin shows history read-only: a revert would restore fields but not the related rows
# (rates, delegates) that give a record its meaning, so corrections are made as new edits.
SIMPLE_HISTORY_REVERT_DISABLED = True
# SQLite only: the changes feed serves changes once they are this old, longer than a write
# outside a transaction can wait for the database lock (its 20 s timeout above), so such a
# write cannot land behind a client's cursor. PostgreSQL orders the feed by transaction
# instead and needs no delay (agreements.audit explains both).
CHANGES_FEED_DELAY_SECONDS = env_int("CHANGES_FEED_DELAY_SECONDS", 30)

REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_VERSION": "v1",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tradeapi.tokens.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tradeapi.api.permissions.ReadAnyoneWriteEditors"],
    "DEFAULT_PARSER_CLASSES": ["tradeapi.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "tradeapi.api.negotiation.ContentNegotiation",
    "DEFAULT_FILTER_BACKENDS": [
        "tradeapi.api.filters.KnownParametersFilter",
        "django_filters.rest_framework.DjangoFilterBackend",
        "tradeapi.api.filters.NamedSearchFilter",
        "tradeapi.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "tradeapi.api.pagination.PageNumberPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "tradeapi.api.throttling.AnonRateThrottle",
        "tradeapi.api.throttling.UserRateThrottle",
    ],
    # Requests per client (IP address when anonymous, account when signed in), as DRF rate
    # strings ("120/minute"); "none" switches a limit off.
    # How many proxies in front append to X-Forwarded-For. 0 (the default) ignores the
    # header, which a client can set to anything, and counts by the connection's address;
    # behind one load balancer set TRUSTED_PROXIES=1.
    "NUM_PROXIES": env_int("TRUSTED_PROXIES", 0),
    "DEFAULT_THROTTLE_RATES": {
        "anon": throttle_rate("THROTTLE_ANON", "120/minute"),
        "user": throttle_rate("THROTTLE_USER", "1200/minute"),
    },
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "tradeapi.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # The library's handler, with a database outage answered as a 503 (tradeapi.api.errors).
    "EXCEPTION_HANDLER_CLASS": "tradeapi.api.errors.ExceptionHandler",
    # The library's defaults plus 409, which writes answer when the database refuses a row
    # that validation accepted (a race; tradeapi.api.schema documents it on writes only), and
    # 503, which any operation answers while the database is out of reach.
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "409",
        "412",
        "413",
        "415",
        "429",
        "500",
        "503",
    ],
    "ERROR_SCHEMAS": {
        "409": "tradeapi.api.errors.ErrorResponse409Serializer",
        "412": "tradeapi.api.errors.ErrorResponse412Serializer",
        "413": "tradeapi.api.errors.ErrorResponse413Serializer",
        "503": "tradeapi.api.errors.ErrorResponse503Serializer",
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "TradeAPI",
    "DESCRIPTION": (
        "Structured data on 2025 trade agreements, negotiation rounds, tariff measures and "
        "their dated rates, with the sources behind every fact, and a rate engine that "
        "answers what duty applies to a product from an origin entering an importer on a date."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Relative: the API answers on the host that serves this document, wherever it is deployed.
    "SERVERS": [{"url": "/", "description": "The host serving this document."}],
    # One tag per resource, in the order Redoc and Swagger UI list them.
    "TAGS": [
        {
            "name": "rate-engine",
            "description": "The duty on a product from an origin entering an importer on a "
            "date, with the measures behind it, and how it changed over a period.",
        },
        {
            "name": "agreements",
            "description": "Deals, truces, frameworks and arrangements, their extensions, "
            "status as of a date, and timeline of events.",
        },
        {
            "name": "rounds",
            "description": "Negotiation rounds: where and when, who led each side, outcome.",
        },
        {
            "name": "commitments",
            "description": "Investment, purchase, market-access and export-control pledges.",
        },
        {
            "name": "measures",
            "description": "Tariff measures: one duty set by one legal instrument for an "
            "importer, origins and products.",
        },
        {
            "name": "rates",
            "description": "Dated rate periods of measures (also as CSV).",
        },
        {
            "name": "economies",
            "description": "Countries (ISO 3166-1) and blocs with dated memberships; read-only.",
        },
        {
            "name": "products",
            "description": "The HS nomenclature: chapters, headings, subheadings; read-only.",
        },
        {"name": "sources", "description": "Documents the facts were taken from."},
        {
            "name": "changes",
            "description": "Every write to the data as a feed, for clients keeping a copy.",
        },
        {
            "name": "tokens",
            "description": "Your own API tokens: list them and revoke one (issue them at a "
            "terminal with `manage.py drf_create_token`).",
        },
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # System fonts: Redoc's defaults (Roboto, Montserrat) would be web fonts from a CDN.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif"},
                "code": {"fontFamily": "ui-monospace, 'DejaVu Sans Mono', monospace"},
            }
        }
    },
    # drf-standardized-errors' error components share field names; name their enums once.
    "ENUM_NAME_OVERRIDES": {
        # Our vocabularies: several share field names (status, kind); name each once.
        "AgreementStatusEnum": "agreements.models.agreements.AgreementStatus",
        "AgreementKindEnum": "agreements.models.choices.AgreementKind",
        "RoundStatusEnum": "agreements.models.choices.RoundStatus",
        "RateStatusEnum": "agreements.models.choices.RateStatus",
        "CommitmentKindEnum": "agreements.models.choices.CommitmentKind",
        "EconomyKindEnum": "agreements.models.choices.EconomyKind",
        "MeasureKindEnum": "agreements.models.choices.MeasureKind",
        "ProductLevelEnum": "agreements.models.choices.ProductLevel",
        "LegalBasisEnum": "agreements.models.choices.LegalBasis",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum",
        "ErrorCode409Enum": "tradeapi.api.errors.ConflictCode",
        "ErrorCode412Enum": "tradeapi.api.errors.PreconditionFailedCode",
        "ErrorCode413Enum": "tradeapi.api.errors.PayloadTooLargeCode",
        "ErrorCode503Enum": "tradeapi.api.errors.ServiceUnavailableCode",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "tradeapi.api.schema.share_validation_errors",
        "tradeapi.api.schema.index_attrs_as_patterns",
        "tradeapi.api.schema.blank_or_format_as_any_of",
        "tradeapi.api.schema.describe_generated_parts",
        "tradeapi.api.schema.document_unknown_parameters",
        "tradeapi.api.schema.finish_for_clients",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
