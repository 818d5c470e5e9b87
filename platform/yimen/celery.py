"""The Celery app. Tenant-aware: a task sent while a point's schema is active
carries that schema in its headers and runs in it (tenant-schemas-celery)."""
import os

from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings.base")

app = TenantAwareCeleryApp("yimen")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
