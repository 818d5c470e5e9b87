"""Base settings: every value from the environment (settings/env.py) or its embedded default."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from . import env

REPO = Path(__file__).resolve().parents[3]

SECRET_KEY = env.get("SECRET_KEY")
DEBUG = env.flag("DEBUG", default=False)
BASE_DOMAIN = env.get("BASE_DOMAIN")
# Every point answers at <slug>.<BASE_DOMAIN>; the bare domain lists the network.
ALLOWED_HOSTS = [h for h in env.get("ALLOWED_HOSTS").split(",") if h] or [BASE_DOMAIN, f".{BASE_DOMAIN}"]

# --- Tenancy (django-tenants): one schema per service point -----------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",  # shared only: content type ids agree across schemas
    "django.contrib.auth",  # one account across the network
    "accounts",
    "axes",  # failed sign-ins: in public, so a lock holds at every point's host
    "standards",  # the standard item library, adoptions and propagations
    "powers",  # powers delegated to parks (赋权强园): grants, their scope and legal basis
    "cases",  # cases (办件): one record across tiers, events, handoffs, outbox, working days
    "online",  # citizens online: network accounts, online applications, uploads, 我的办件
    "stats",  # statistics: rollups of case events per point and day, rolled up the hierarchy
    "supervision",  # 电子监察: warning rules, warnings, supervisors' dashboards
    "search",  # catalogue search: documents, outbox, synonyms, search log
    "django.contrib.sessions",  # public host's own sessions (also in TENANT_APPS)
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ops",  # probes, metrics, JSON logs, hosts from domains
]
# Wagtail lives only in tenant schemas: with its tables in public, a table
# missing from a tenant schema would silently fall through to public's.
TENANT_APPS = [
    "django.contrib.sessions",  # a session made at point A does not exist at point B
    "cms",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.ServicePoint"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "yimen.urls_public"
ROOT_URLCONF = "yimen.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# django-tenants wraps this backend: no FK constraints from a point's schema
# to shared tables (platform/yimen/db/base.py says why).
ORIGINAL_BACKEND = "yimen.db"
TENANT_LIMIT_SET_CALLS = True
# Points are never dropped automatically (STYLE.md, django-tenants).
TENANT_MULTIPROCESSING_MAX_PROCESSES = 2
# Migrations of apps a schema does not hold are passed over without rendering (tenants/schema_migrate.py).
TENANT_BASE_MIGRATE_COMMAND = "tenants.schema_migrate.Command"
# How long a process trusts what it looked up of a host's point (tenants.middleware): saves and
# deletes of points and domains in the same process are seen at once, others within this.
POINT_HOST_SECONDS = float(env.get("YIMEN_POINT_HOST_SECONDS", "5"))

DATABASES = {
    "default": {
        **dj_database_url.parse(env.get("DATABASE_URL"), conn_max_age=60),
        "ENGINE": "django_tenants.postgresql_backend",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    "ops.probes.ProbeMiddleware",  # /healthz, /readyz, /metrics on internal hosts, before any host check
    "ops.metrics.MetricsMiddleware",
    # Stored citizen pages answered before the point lookup (cms.page_cache_middleware).
    "cms.page_cache_middleware.PageCacheMiddleware",
    "tenants.middleware.PointMiddleware",  # picks the schema from the host
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # yimen.browser_middleware.Browser…: Django's and the apps' own, passed by on the JSON
    # search API (/api/search, /api/search/suggest), which reads nothing they provide.
    "yimen.browser_middleware.BrowserLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "yimen.browser_middleware.BrowserAuthenticationMiddleware",
    "yimen.browser_middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yimen.browser_middleware.BrowserPointRedirectMiddleware",  # Wagtail's redirects, not on the network host
    # Innermost: turns a sign-in lock into a 429 of the login page (tenants.signin).
    "axes.middleware.AxesMiddleware",
]

AUTH_USER_MODEL = "accounts.User"
# The throttle first: a locked account or address is refused before its password is checked.
AUTHENTICATION_BACKENDS = ["tenants.signin.SignInThrottle", "tenants.auth.PointRoleBackend"]
LOGIN_URL = "wagtailadmin_login"

# --- Passwords and signing in (tenants.passwords, tenants.signin) --------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "tenants.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
WAGTAILADMIN_USER_LOGIN_FORM = "tenants.signin.LoginForm"
AXES_HANDLER = "tenants.signin.SignInHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # an account, and separately an address
AXES_FAILURE_LIMIT = int(env.get("YIMEN_SIGNIN_FAILURES", "5"))  # per account
# Per client address, across usernames: higher, as a township office signs in from one NAT address.
SIGNIN_ADDRESS_FAILURE_LIMIT = int(env.get("YIMEN_SIGNIN_ADDRESS_FAILURES", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env.get("YIMEN_SIGNIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_CALLABLE = "tenants.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "tenants.signin.client_address"
# Proxies in front of the app that append to X-Forwarded-For; none in development
# (the header is ignored), one in production (the compose nginx or the ingress).
SIGNIN_TRUSTED_PROXIES = int(env.get("YIMEN_TRUSTED_PROXIES", "0"))
AXES_DISABLE_ACCESS_LOG = True  # no row per successful sign-in (nothing would prune it)
AXES_ENABLE_ADMIN = False  # no Django admin here: the Wagtail page 登录锁定 instead

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "yimen.wsgi.application"

# --- Cache: Redis, keys prefixed by schema ------------------------------------
# Wagtail caches site root paths under a fixed key; django-tenants' make_key
# prefixes every key with the current schema so one point never reads another's.
# Django's Redis backend, less a client built per call and a round trip per increment (yimen.redis_cache).
CACHES = {
    "default": {
        "BACKEND": "yimen.redis_cache.RedisCache",
        "LOCATION": env.get("CACHE_URL"),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "TIMEOUT": 300,
    },
    # Counters that span the cell, not one point (request budgets per client
    # address, django-ratelimit; repeated clicks): the same Redis, plain keys.
    "limits": {
        "BACKEND": "yimen.redis_cache.RedisCache",
        "LOCATION": env.get("CACHE_URL"),
        "KEY_PREFIX": "limits",
    },
}
RATELIMIT_USE_CACHE = "limits"

# --- Files: uploads per point ---------------------------------------------------
MEDIA_ROOT = env.get("MEDIA_ROOT") or str(REPO / ".data" / "media")
MEDIA_URL = "/media/"
# Each point's uploads go to MEDIA_ROOT/<schema>/ and are served by
# tenants.views.media only for the host's own schema.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STATIC_ROOT = env.get("STATIC_ROOT") or str(REPO / ".data" / "static")
STATIC_URL = "/static/"
# Applicants' files (online uploads, electronic results) are private: never
# under MEDIA_ROOT, which points serve at /media/. Folders per point inside;
# served only by views that check the case's scope. Production: object storage
# (an S3-compatible backend in this alias).
# Largest file an applicant may upload (online.uploads): a scanned document or a photo.
ONLINE_UPLOAD_MAX_BYTES = int(env.get("YIMEN_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
PRIVATE_MEDIA_ROOT = env.get("PRIVATE_MEDIA_ROOT") or str(REPO / ".data" / "private-media")
STORAGES = {
    "default": {"BACKEND": "tenants.storage.PointFileStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "applicant_files": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": "/private-not-served/"}},
}

# --- Point archives (tenants.archive, tenants.archive.signing) -----------------
# export_point signs with YIMEN_ARCHIVE_KEY; import_point also accepts the
# fallbacks (comma-separated, previous keys during a rotation). Empty: a key
# derived from SECRET_KEY (and SECRET_KEY_FALLBACKS), fit for development only.
YIMEN_ARCHIVE_KEY = env.get("YIMEN_ARCHIVE_KEY")
YIMEN_ARCHIVE_KEY_FALLBACKS = [k for k in env.get("YIMEN_ARCHIVE_KEY_FALLBACKS").split(",") if k]

# --- Language and time: Simplified Chinese first ------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Wagtail -----------------------------------------------------------------
WAGTAIL_SITE_NAME = "一门"
WAGTAILADMIN_BASE_URL = f"http://{BASE_DOMAIN}"  # global: per-point links are built from the point's domain
WAGTAIL_I18N_ENABLED = False
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# Documents only through their view (collection privacy, download, locked
# down by tenants.uploads), also on object storage; and only the kinds a
# county publishes: an uploaded .html or .js would run on the admin's origin.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["pdf", "ofd", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "zip"]

# --- Celery ------------------------------------------------------------------
CELERY_BROKER_URL = env.get("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is delivered again
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "tenants.tasks.heartbeat",
        "schedule": float(env.get("YIMEN_HEARTBEAT_SECONDS", "60")),
    },
    "clear-expired-sessions": {"task": "tenants.tasks.clear_expired_sessions", "schedule": 24 * 3600},
    "resume-propagations": {"task": "standards.tasks.resume_propagations", "schedule": 60.0},
    "search-pending": {"task": "search.tasks.apply_pending",
                       "schedule": float(env.get("YIMEN_SEARCH_PENDING_SECONDS", "15"))},
    "search-prune-log": {"task": "search.tasks.prune_log", "schedule": 24 * 3600},
    "cases-notices": {"task": "cases.tasks.deliver_pending",
                      "schedule": float(env.get("YIMEN_NOTICES_SECONDS", "10"))},
    # Statistics rollups from the cases' events (stats.rollup): incremental and idempotent.
    "stats-rollup": {"task": "stats.tasks.update_rollups",
                     "schedule": float(env.get("YIMEN_STATS_ROLLUP_SECONDS", "60"))},
    # 电子监察: raise and clear warnings in every county network (supervision.monitor).
    "supervision-warnings": {"task": "supervision.tasks.check_warnings",
                             "schedule": float(env.get("YIMEN_SUPERVISION_SECONDS", "60"))},
    # 赋权强园: grants past their end stop, grants whose start came begin; expiry reminders (powers.tasks).
    "powers-expire-and-remind": {"task": "powers.tasks.expire_and_remind",
                                 "schedule": float(env.get("YIMEN_POWERS_SECONDS", "3600"))},
}

# --- Cases ---------------------------------------------------------------------------
# The SMS provider (cases.sms): the demo and tests write messages to a table and the console.
CASES_SMS_PROVIDER = env.get("YIMEN_SMS_PROVIDER", "cases.sms.TableProvider")

# --- Standard library -----------------------------------------------------------
# The one who submits a version for review may not publish it.
STANDARDS_FOUR_EYES = env.flag("YIMEN_STANDARDS_FOUR_EYES", default=True)
# Points per propagation task: big enough to amortise a task, small enough to spread over workers.
STANDARDS_PROPAGATION_BATCH = int(env.get("YIMEN_PROPAGATION_BATCH", "25"))
# A queue of its own lets a county give fan-out its own workers (default: the common queue).
STANDARDS_PROPAGATION_QUEUE = env.get("YIMEN_PROPAGATION_QUEUE", "celery")

# Set only by `python3 infra/yimen.py demo`: load_demo_network makes accounts
# with a published password and refuses to run without it (and DEBUG).
YIMEN_DEMO = env.flag("YIMEN_DEMO")

ELASTICSEARCH_URL = env.get("ELASTICSEARCH_URL")
PROMETHEUS_MULTIPROC_DIR = env.get("PROMETHEUS_MULTIPROC_DIR")

# Wagtail's own background jobs (reference index, search index) run through
# django-tasks. A queued job would carry no tenant, so they run immediately,
# in the schema of the request or task that caused them.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "elastic_transport": {"level": "WARNING"},  # one INFO line per request otherwise
        "axes": {"level": "WARNING"},  # sign-in failures and locks; INFO is bookkeeping per attempt
    },
}

# --- Catalogue search (search/) ------------------------------------------------
SEARCH_ES_ALIAS = env.get("YIMEN_SEARCH_ALIAS", "yimen-catalogue")
# The documents' index (suggestions read it, routed to one shard): at 1,000 points a suggestion
# took 8 ms on one of 4 shards against 18.5 ms on one shard of all (search/README.md, "Shards and
# routing"); searches read the network entries' index, one shard whatever this says.
SEARCH_ES_SHARDS = int(env.get("YIMEN_SEARCH_SHARDS", "4"))
SEARCH_ES_REPLICAS = int(env.get("YIMEN_SEARCH_REPLICAS", "0"))
SEARCH_ES_TIMEOUT = float(env.get("YIMEN_SEARCH_TIMEOUT", "2"))  # seconds; a slower answer falls back
SEARCH_ES_BULK_TIMEOUT = float(env.get("YIMEN_SEARCH_BULK_TIMEOUT", "30"))
SEARCH_ES_REFRESH = env.flag("YIMEN_SEARCH_REFRESH", default=False)  # tests: writes visible at once
SEARCH_ES_RETRY_SECONDS = float(env.get("YIMEN_SEARCH_RETRY_SECONDS", "10"))  # after a failure, PostgreSQL only
# How often beat retries index changes Elasticsearch has not taken yet.
SEARCH_PENDING_SECONDS = float(env.get("YIMEN_SEARCH_PENDING_SECONDS", "15"))
# Backend answers kept in Redis while the county's documents and the vocabulary stay the same
# (search/results_cache.py); 0: off. Bounds an Elasticsearch refresh (1 s) seen late.
SEARCH_RESULT_CACHE_SECONDS = int(env.get("YIMEN_SEARCH_RESULT_CACHE_SECONDS", "60"))
# The search log is written in batches this far apart (search/log_buffer.py); 0: each row at once.
SEARCH_LOG_FLUSH_SECONDS = float(env.get("YIMEN_SEARCH_LOG_FLUSH_SECONDS", "1"))
SEARCH_LOG_DAYS = int(env.get("YIMEN_SEARCH_LOG_DAYS", "400"))  # how long searches and clicks are kept
# Anonymous search writes a log row per request: a budget per client address
# (search.limits), for the API and results page together, suggestions, and
# result clicks. "off" lifts one. Generous: a township's citizens may all come
# from one NAT address. The address: tenants.signin.client_address (YIMEN_TRUSTED_PROXIES).
SEARCH_RATE_LIMITS = {
    "search": env.get("YIMEN_SEARCH_RATE", "120/m"),
    "suggest": env.get("YIMEN_SUGGEST_RATE", "300/m"),
    "click": env.get("YIMEN_CLICK_RATE", "120/m"),
}
# Addresses never limited (comma-separated), e.g. a county gateway that calls the API.
SEARCH_RATE_EXEMPT = [a.strip() for a in env.get("YIMEN_SEARCH_RATE_EXEMPT").split(",") if a.strip()]
# A visitor's repeated click on the same result within this time is logged once.
SEARCH_CLICK_ONCE_SECONDS = int(env.get("YIMEN_CLICK_ONCE_SECONDS", str(24 * 3600)))
