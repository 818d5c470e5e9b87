"""Keep standards.Adoption (public) in step with the point's live guides,
whoever publishes: an editor, a revert to an older revision, or propagation."""
from __future__ import annotations

from django.db import connection
from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished

from standards.models import Adoption

from .models import ItemGuidePage


def _point():
    return getattr(connection, "tenant", None)


def guide_published(sender, instance, **kwargs):
    point = _point()
    if point is None:
        return
    Adoption.objects.update_or_create(point_id=point.pk, item_id=instance.standard_version.item_id,
                                      defaults={"version_id": instance.standard_version_id})


def guide_gone(sender, instance, **kwargs):
    point = _point()
    if point is None:
        return
    Adoption.objects.filter(point_id=point.pk, item__code=instance.code).delete()


def connect():
    page_published.connect(guide_published, sender=ItemGuidePage, dispatch_uid="yimen-guide-published")
    page_unpublished.connect(guide_gone, sender=ItemGuidePage, dispatch_uid="yimen-guide-unpublished")
    post_delete.connect(guide_gone, sender=ItemGuidePage, dispatch_uid="yimen-guide-deleted")
