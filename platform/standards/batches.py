"""Import batches: four eyes for catalogue files.

A file uploaded in the admin publishes nothing. Every record that changes the
library becomes a version waiting for review (status "review", as a submitted
draft would), all held by one `ImportBatch`. Another central admin of the same
county then publishes the whole batch in one transaction (`approve`: each
version propagates as `services.publish` makes it) or returns it with a reason
(`reject`: its versions are discarded; the batch keeps the codes it held). The
uploader may withdraw their own batch but never approve it. While the batch
waits, its versions are decided only with it (`services` refuses them alone).

Only the operator's `import_standards` command publishes directly; it still
writes a batch (status published) naming who ran it.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import services
from .models import BatchStatus, ImportBatch, Propagation, StandardItemVersion, VersionStatus
from .services import StandardsError


def start(*, file_name: str, note: str, owner: str, submitted_by=None, operator: str = "") -> ImportBatch:
    """The batch of one file: for review when a user submitted it, published
    when an operator ran the command (the caller holds the transaction)."""
    if (submitted_by is None) == (not operator):
        raise ValueError("an import batch has either a submitting user or an operator")
    return ImportBatch.objects.create(
        file_name=file_name[:255], note=note[:300], authority=owner, uploaded_by=submitted_by,
        operator=operator[:150], status=BatchStatus.REVIEW if submitted_by is not None else BatchStatus.PUBLISHED)


def submit_content(batch: ImportBatch, content: dict) -> StandardItemVersion | None:
    """One normalized record as a version waiting for review in `batch`;
    None when the item's current version already says exactly this."""
    item, same = services.import_target(content, batch.authority)
    if same is not None:
        return None
    version = services._add_version(item, content, batch.uploaded_by, batch.note, batch)
    version.status = VersionStatus.REVIEW
    version.submitted_by = batch.uploaded_by
    version.submitted_at = timezone.now()
    version.save(update_fields=["status", "submitted_by", "submitted_at"])
    return version


def _locked(batch: ImportBatch, user) -> ImportBatch:
    services._check_actor(user)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.REVIEW:
        raise StandardsError(f"导入批次 {batch.pk} {batch.get_status_display()}，不能再审核。")
    return batch


@transaction.atomic
def approve(batch: ImportBatch, user) -> list[Propagation]:
    """Publish every version of the batch at once; returns their propagations.
    Nothing changes if any of them cannot be published."""
    batch = _locked(batch, user)
    if settings.STANDARDS_FOUR_EYES and user is not None and batch.uploaded_by_id == user.pk:
        raise StandardsError("导入这批事项的人不能自己审核发布，请由另一位中心管理员审核。")
    # Marked first: `services` decides a version of a batch under review only with it.
    batch.status = BatchStatus.PUBLISHED
    batch.reviewed_by, batch.reviewed_at = user, timezone.now()
    batch.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    versions = batch.versions.filter(status=VersionStatus.REVIEW).select_related("item").order_by("item__code")
    return [services.publish(version, user) for version in versions]


@transaction.atomic
def reject(batch: ImportBatch, user, note: str) -> ImportBatch:
    """Return the whole batch with a reason: its versions are discarded (new
    items with them), so the items are free for the next file or draft."""
    batch = _locked(batch, user)
    if not (note or "").strip():
        raise StandardsError("退回时请写明审核意见。")
    batch.status = BatchStatus.REJECTED
    batch.reviewed_by, batch.reviewed_at = user, timezone.now()
    batch.review_note = note.strip()[:300]
    batch.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    for version in batch.versions.filter(status=VersionStatus.REVIEW):
        services.discard_draft(version, user)
    return batch
