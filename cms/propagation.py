"""A new standard version arriving at one point (run inside its schema).

Where the point changed nothing the version touches, the guide gets a new
revision, published at once. Otherwise the revision is kept as a draft beside
the live page and a StandardUpdate lists it, with the elements in conflict,
for the point's editors.

The publish path writes what Wagtail's publish would for this page type —
revision, page row, log entry — in a few plain statements, without the generic
publish machinery (full clean, tree and alias updates, signal fan-out). The
guide's tree position, slug and children never change here, which is what
makes that machinery unnecessary. Search indexing of the change goes through
the search outbox (cms.hooks.guides_changed, which search receives), in the same transaction.
"""
from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import Page, PageLogEntry, Revision
from wagtail.search.backends import get_search_backend

from standards import adoptions
from standards.elements import LABELS
from standards.models import StandardItemVersion, TargetStatus
from tenants.models import ServicePoint

from . import page_cache
from .hooks import guides_changed
from .models import ItemGuidePage, StandardUpdate


def overridden(page: ItemGuidePage, pinned: dict) -> dict[str, str]:
    """Local field → standard element, for each element the point restated differently."""
    found = {}
    for field, element in ItemGuidePage.OVERRIDES.items():
        value = getattr(page, field)
        if value in (None, ""):
            continue
        if field == "title" and value == pinned.get("name"):
            continue
        if value != pinned.get(element):
            found[field] = element
    return found


def conflicts_with(page: ItemGuidePage, old: dict, new: dict) -> list[str]:
    """Standard elements the new version changes that the point has restated."""
    touched = [element for element in overridden(page, old).values() if old.get(element) != new.get(element)]
    if page.promised_days is not None and page.promised_days > new["statutory_days"]:
        touched.append("statutory_days")
    return sorted(set(touched))


def apply_version(point: ServicePoint, version: StandardItemVersion) -> tuple[str, str]:
    """(target status, detail) — idempotent: applying the same version twice changes nothing."""
    page = ItemGuidePage.objects.select_for_update().filter(code=version.code).first()
    if page is None:
        return TargetStatus.SKIPPED, "本点已不再办理此事项"
    old = page.standard_version
    if old.number >= version.number:
        return TargetStatus.SKIPPED, f"已是第 {old.number} 版"
    # An editor's unpublished draft is the base of the new revision, so it is not lost.
    base = page.get_latest_revision_as_object() if page.has_unpublished_changes else page
    page_title_before = page.title
    conflicts = conflicts_with(base, old.content, version.content)
    if page.has_unpublished_changes:
        conflicts.append("draft")
    if "name" not in conflicts and base.title == old.name:
        base.title = version.name  # follows the standard unless the point renamed it
    base.standard_version = version
    base.draft_title = base.title
    now = timezone.now()
    revision = Revision.objects.create(
        content_type=ContentType.objects.get_for_model(ItemGuidePage),
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id=str(page.pk), content=base.serializable_data(), object_str=base.title[:255],
        created_at=now,
    )
    if conflicts:
        _keep_as_draft(base, old, version, revision, conflicts, now)
        labels = "、".join(_label(c) for c in conflicts)
        return TargetStatus.CONFLICT, f"本点改过：{labels}"
    ItemGuidePage.objects.filter(pk=page.pk).update(
        standard_version=version, title=base.title, draft_title=base.title, latest_revision=revision,
        live_revision=revision, last_published_at=now, latest_revision_created_at=now,
        has_unpublished_changes=False)
    PageLogEntry.objects.log_action(page, "wagtail.publish", revision=revision, timestamp=now,
                                    data={"standard_version": version.number})
    if base.title != page_title_before:  # the admin's page search indexes titles
        get_search_backend().add(ItemGuidePage.objects.get(pk=page.pk))
    adoptions.record_live_version(point, version)
    guides_changed.send(sender=ItemGuidePage, point=point, codes=[page.code])  # search's outbox, this transaction
    page_cache.point_changed(point)  # the guide and the listings that show its name and badges
    StandardUpdate.objects.filter(page=page, status=StandardUpdate.Status.OPEN).update(
        status=StandardUpdate.Status.SUPERSEDED, resolved_at=now)
    return TargetStatus.PUBLISHED, f"已发布第 {version.number} 版"


def _keep_as_draft(page, old, version, revision, conflicts, now) -> None:
    Page.objects.filter(pk=page.pk).update(latest_revision=revision, latest_revision_created_at=now,
                                           draft_title=page.title, has_unpublished_changes=True)
    StandardUpdate.objects.filter(page=page, status=StandardUpdate.Status.OPEN).update(
        status=StandardUpdate.Status.SUPERSEDED, resolved_at=now)
    StandardUpdate.objects.create(page=page, from_version=old, to_version=version, revision=revision,
                                  conflicts=conflicts)


def _label(element: str) -> str:
    return "未发布的修改" if element == "draft" else LABELS.get(element, element)
