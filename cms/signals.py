"""Keep standards.Adoption (public) in step with the point's live guides,
whoever publishes: an editor, a revert to an older revision, or propagation."""
from __future__ import annotations

from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished

from standards import adoptions
from tenants.scope import current_point

from .models import ItemGuidePage


def guide_published(sender, instance, **kwargs):
    point = current_point()
    if point is None:
        return
    adoptions.record_live_version(point, instance.standard_version)


def guide_gone(sender, instance, **kwargs):
    point = current_point()
    if point is None:
        return
    adoptions.record_dropped(point, [instance.code])


def connect():
    page_published.connect(guide_published, sender=ItemGuidePage, dispatch_uid="yimen-guide-published")
    page_unpublished.connect(guide_gone, sender=ItemGuidePage, dispatch_uid="yimen-guide-unpublished")
    post_delete.connect(guide_gone, sender=ItemGuidePage, dispatch_uid="yimen-guide-deleted")
