"""Celery tasks of the tenancy layer.

Tasks run through tenant-schemas-celery: one sent while a point's schema is
active runs in that schema, whichever worker picks it up.
"""
from celery import shared_task
from wagtail.models import Site

from . import active_schema


@shared_task
def describe_point() -> dict:
    """What a worker sees of the point a task was sent from (ops: `celery call`,
    and the proof in tests that tasks carry their point)."""
    site = Site.objects.select_related("root_page").first()
    return {
        "schema": active_schema.current(),
        "site_hostname": site.hostname if site else None,
        "home_title": site.root_page.title if site else None,
    }


HEARTBEAT_KEY = "yimen:beat-heartbeat"


@shared_task
def heartbeat() -> str:
    """Scheduled by Celery beat: proves beat and a worker are both alive
    (read by ops and the health check through `last_heartbeat`)."""
    from django.core.cache import cache
    from django.utils import timezone

    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


def last_heartbeat() -> str | None:
    from django.core.cache import cache

    return cache.get(HEARTBEAT_KEY)


@shared_task
def clear_expired_sessions() -> int:
    """Sessions live in each point's schema (and public's): `clearsessions`
    alone would only clean public. Scheduled daily by beat."""
    from importlib import import_module

    from django.conf import settings
    from django_tenants.utils import get_public_schema_name, schema_context

    from .models import ServicePoint

    store = import_module(settings.SESSION_ENGINE).SessionStore
    schemas = [get_public_schema_name(), *ServicePoint.objects.real().values_list("schema_name", flat=True)]
    for schema in schemas:
        with schema_context(schema):
            store.clear_expired()
    return len(schemas)
