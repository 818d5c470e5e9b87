"""The events that change citizen pages, connected to the page cache's
generations (cms.page_cache). Connected in cms.apps.CmsConfig.ready().

Sent elsewhere and received here:
- Wagtail's page_published / page_unpublished (an editor, a revert, a
  standard update accepted through cms.updates) and a guide's deletion: a guide
  going live or away also changes which points offer the item, so the
  network's "where else" lists too;
- a ServicePoint saved or deleted (tenants owns the model; its details —
  name, address, phone, hours, position, status — show on its own pages and in
  other points' "where else");
- a point's schema made (onboarding: a new point starts from fresh generations
  even if its schema name was used before);
- powers.hooks grant_started / grant_ended: the park's catalogue and every
  guide of a granted item in the county network (the county's first) change;
  the network generation covers the park and each of those points at once.

Called directly where cms changes guides without Wagtail's signals:
cms.adoption.adopt and drop (network), cms.propagation.apply_version (the
point only: which points offer the item does not change).
"""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from powers import hooks as powers_hooks
from tenants import hooks as tenant_hooks
from tenants.models import ServicePoint
from tenants.scope import current_point

from . import page_cache
from .models import ItemGuidePage


def page_changed(sender, instance=None, **kwargs):
    point = current_point()
    if issubclass(sender, ItemGuidePage):
        page_cache.network_changed(point)
    else:
        page_cache.point_changed(point)


def point_saved(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk:
        page_cache.network_changed(instance)


def point_created(sender, point, **kwargs):
    page_cache.network_changed(point)


def grant_changed(sender, grant, **kwargs):
    page_cache.network_changed(grant.grantee)


def connect():
    page_published.connect(page_changed, dispatch_uid="yimen-page-cache-published")
    page_unpublished.connect(page_changed, dispatch_uid="yimen-page-cache-unpublished")
    post_delete.connect(page_changed, sender=ItemGuidePage, dispatch_uid="yimen-page-cache-guide-deleted")
    post_save.connect(point_saved, sender=ServicePoint, dispatch_uid="yimen-page-cache-point-saved")
    post_delete.connect(point_saved, sender=ServicePoint, dispatch_uid="yimen-page-cache-point-deleted")
    tenant_hooks.point_schema_created.connect(point_created, dispatch_uid="yimen-page-cache-new-point")
    powers_hooks.grant_started.connect(grant_changed, dispatch_uid="yimen-page-cache-grant-started")
    powers_hooks.grant_ended.connect(grant_changed, dispatch_uid="yimen-page-cache-grant-ended")
