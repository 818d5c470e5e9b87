"""Production: refuses to start on a missing secret, database or host list;
HTTPS only, HSTS, secure cookies, a content security policy, JSON logs,
static files from the app itself (whitenoise), optional error reporting."""
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from ops.hosts import PointHosts

from . import env
from .base import *  # noqa: F401,F403

SECRET_KEY = env.require("SECRET_KEY")
BASE_DOMAIN = env.require("BASE_DOMAIN")
env.require("DATABASE_URL")
env.require("CELERY_BROKER_URL")
DEBUG = False
if SECRET_KEY == env.DEFAULTS["SECRET_KEY"] or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY 过短或为开发默认值（SECRET_KEY is the dev default or too short）")
# Rotation: the previous key still verifies sessions and signed tokens until removed.
SECRET_KEY_FALLBACKS = [k for k in env.get("SECRET_KEY_FALLBACKS").split(",") if k]
# Point archives: a dedicated key outlives SECRET_KEY rotations (docs/operations.md).
# Required: every deployment file passes it, and the dev fallback (derived from
# SECRET_KEY) would make archives unreadable after a SECRET_KEY rotation.
YIMEN_ARCHIVE_KEY = env.require("YIMEN_ARCHIVE_KEY")
if len(YIMEN_ARCHIVE_KEY) < 32:
    raise ImproperlyConfigured("YIMEN_ARCHIVE_KEY 过短（at least 32 characters）")

# Hosts: the base domain, every point's <slug>.<base domain>, and any other
# Domain row of a point (ops.hosts reads them, refreshed every minute).
ALLOWED_HOSTS = PointHosts([BASE_DOMAIN, f".{BASE_DOMAIN}"])
CSRF_TRUSTED_ORIGINS = [o for o in env.get("CSRF_TRUSTED_ORIGINS").split(",") if o]
WAGTAILADMIN_BASE_URL = f"https://{BASE_DOMAIN}"

# --- HTTPS only ----------------------------------------------------------------
# TLS ends at the reverse proxy / ingress, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Sign-in throttling counts the client's address as that proxy saw it: the
# X-Forwarded-For entry it appended (tenants.signin.client_address). Set
# YIMEN_TRUSTED_PROXIES=2 behind a cloud load balancer in front of the ingress.
SIGNIN_TRUSTED_PROXIES = int(env.get("YIMEN_TRUSTED_PROXIES", "1"))
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
# Every point is a subdomain, all served over HTTPS by the wildcard certificate.
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
# Wagtail's admin reads the token from the page (wagtailConfig), not the cookie.
CSRF_COOKIE_HTTPONLY = True
# Wagtail's page preview frames the point's own pages.
X_FRAME_OPTIONS = "SAMEORIGIN"
# `manage.py check --deploy` passes with these two deliberate choices:
SILENCED_SYSTEM_CHECKS = [
    "security.W019",  # X_FRAME_OPTIONS is SAMEORIGIN for Wagtail's preview (above)
    # HSTS preload is a near-irreversible listing of the whole government
    # domain in browsers: the domain's owner decides it, not this application.
    "security.W021",
]

# --- Content security policy (django-csp) -------------------------------------
# Nothing from other origins, no inline script. Wagtail's admin sets inline
# style attributes (e.g. progress bars, the page tree widths), hence the one
# relaxation for styles; tests/test_production_server.py opens the pages in
# Chromium under this policy and fails on any violation it reports.
# Security and static files come before the point middleware: a static file
# needs no point, so it costs no Domain lookup; whitenoise serves hashed names
# with far-future caching and pre-compressed variants, no file server to keep in step.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "django.middleware.security.SecurityMiddleware"]
_point = MIDDLEWARE.index("tenants.middleware.PointMiddleware")
MIDDLEWARE[_point:_point] = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
MIDDLEWARE.append("csp.middleware.CSPMiddleware")
INSTALLED_APPS = [*INSTALLED_APPS, "csp"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logs: one JSON object per line on stderr ----------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ops.jsonlog.JSONFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # sign-in failures and locks; INFO is bookkeeping per attempt
    },
}

# Celery keeps Django's logging (JSON) instead of installing its own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Error reporting: only when SENTRY_DSN is set (self-hosted Sentry or any
# Sentry-protocol server); no personal data is sent.
SENTRY_DSN = env.get("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=SENTRY_DSN, environment=env.get("SENTRY_ENVIRONMENT"), send_default_pii=False,
                    integrations=[DjangoIntegration(), CeleryIntegration()], traces_sample_rate=0.0)
