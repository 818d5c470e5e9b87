"""The one place settings read the environment. Every variable and its embedded default."""
from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

# Defaults match the servers `python3 infra/yimen.py demo` starts (infra/local/commands.py).
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:54329/yimen",
    "CELERY_BROKER_URL": "redis://127.0.0.1:63790/0",
    "CACHE_URL": "redis://127.0.0.1:63790/1",
    "ELASTICSEARCH_URL": "",  # empty: search uses the PostgreSQL backend
    "BASE_DOMAIN": "localhost",
    "SECRET_KEY": "dev-only-insecure-key-change-me",
    "MEDIA_ROOT": "",
    "PRIVATE_MEDIA_ROOT": "",
    "YIMEN_UPLOAD_MAX_BYTES": "",
    "ALLOWED_HOSTS": "",
    # Production and operations (settings/production.py, platform/ops, infra/).
    "STATIC_ROOT": "",  # empty: .data/static in the repo; the image sets /app/static
    "PROMETHEUS_MULTIPROC_DIR": "",  # set by the image: metrics summed over gunicorn workers
    "SENTRY_DSN": "",  # empty: no error reporting
    "SENTRY_ENVIRONMENT": "production",
    "LOG_LEVEL": "INFO",
    "CSRF_TRUSTED_ORIGINS": "",  # comma-separated, only for origins outside the base domain
    "SECRET_KEY_FALLBACKS": "",  # comma-separated previous keys while rotating SECRET_KEY
    "YIMEN_ARCHIVE_KEY": "",  # signs point archives; empty: derived from SECRET_KEY (development)
    "YIMEN_ARCHIVE_KEY_FALLBACKS": "",  # comma-separated previous archive keys, accepted on import
}


def get(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        return DEFAULTS.get(name, "") if default is None else default
    return value


def require(name: str) -> str:
    """For production: a missing or empty variable stops the process with its name."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"环境变量 {name} 未设置（production settings require {name}）")
    return value


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
