"""Bringing a newly published version to every point that adopts the item.

`start` runs inside the publishing transaction and writes one target row per
adopting point (the outbox). Tasks then apply targets in batches; each target
is applied in one transaction that locks its row (SKIP LOCKED), writes the
point's new revision and marks the row, so a target is applied exactly once
even when a worker dies half-way or a batch is dispatched twice. `resume`
(beat) re-dispatches whatever is still pending after a pause.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from tenants.models import ServicePoint

from . import hooks
from .models import Adoption, Propagation, PropagationStatus, PropagationTarget, StandardItemVersion, TargetStatus

log = logging.getLogger(__name__)


def start(version: StandardItemVersion) -> Propagation:
    # Only points inside the item's authority (a county's item reaches that
    # county alone), even if an adoption from elsewhere were ever recorded.
    owner = version.item.authority
    points = list(Adoption.objects.filter(item_id=version.item_id, point__region_code__startswith=owner)
                  .exclude(version=version).values_list("point_id", flat=True))
    run = Propagation.objects.create(version=version, total=len(points),
                                     status=PropagationStatus.RUNNING if points else PropagationStatus.DONE,
                                     finished_at=None if points else timezone.now())
    PropagationTarget.objects.bulk_create([PropagationTarget(propagation=run, point_id=p) for p in points])
    if points:
        transaction.on_commit(lambda: dispatch_or_leave_to_resume(run.pk))
    return run


def dispatch_or_leave_to_resume(propagation_id: int) -> None:
    """After the publishing transaction: the publication stands even when the
    broker is down; `resume` (beat) queues the batches once it is back."""
    try:
        dispatch(propagation_id)
    except Exception:
        log.warning("propagation %s not queued now (broker?); resume will queue it", propagation_id, exc_info=True)


def dispatch(propagation_id: int) -> int:
    """Queue the pending targets in batches; returns how many batches."""
    from .tasks import apply_batch

    pending = list(PropagationTarget.objects.filter(propagation_id=propagation_id, status=TargetStatus.PENDING)
                   .order_by("point_id").values_list("point_id", flat=True))
    size = settings.STANDARDS_PROPAGATION_BATCH
    batches = [pending[i:i + size] for i in range(0, len(pending), size)]
    # Queued from the public schema: tenant-schemas-celery would otherwise run
    # the batch in the schema of whoever published (the county's admin).
    with schema_context(get_public_schema_name()):
        for batch in batches:
            apply_batch.apply_async((propagation_id, batch), queue=settings.STANDARDS_PROPAGATION_QUEUE)
    # Only once queued: a propagation never queued is one `resume` picks up.
    Propagation.objects.filter(pk=propagation_id).update(dispatched_at=timezone.now())
    return len(batches)


def apply_batch(propagation_id: int, point_ids: list[int]) -> dict[str, int]:
    run = Propagation.objects.select_related("version").get(pk=propagation_id)
    counts: dict[str, int] = {}
    for point in ServicePoint.objects.filter(pk__in=point_ids).order_by("pk"):
        outcome = apply_target(run, point)
        counts[outcome] = counts.get(outcome, 0) + 1
    finish_if_done(run)
    return counts


def apply_target(run: Propagation, point: ServicePoint) -> str:
    try:
        with transaction.atomic():
            target = (PropagationTarget.objects.select_for_update(skip_locked=True)
                      .filter(propagation=run, point=point, status=TargetStatus.PENDING).first())
            if target is None:  # done already, or being done by another worker right now
                return "already"
            with tenant_context(point):
                status, detail = hooks.apply_version(point, run.version)
            target.status, target.detail = status, detail[:500]
            target.finished_at = timezone.now()
            target.attempts += 1
            target.save(update_fields=["status", "detail", "finished_at", "attempts"])
            return status
    except Exception as exc:  # one point's failure must not stop the others
        log.exception("propagation %s to %s failed", run.pk, point.slug)
        PropagationTarget.objects.filter(propagation=run, point=point, status=TargetStatus.PENDING).update(
            status=TargetStatus.FAILED, detail=f"{type(exc).__name__}: {exc}"[:500], finished_at=timezone.now())
        return TargetStatus.FAILED


def finish_if_done(run: Propagation) -> None:
    if not PropagationTarget.objects.filter(propagation=run, status=TargetStatus.PENDING).exists():
        Propagation.objects.filter(pk=run.pk, status=PropagationStatus.RUNNING).update(
            status=PropagationStatus.DONE, finished_at=timezone.now())


def retry_failed(run: Propagation) -> int:
    count = PropagationTarget.objects.filter(propagation=run, status=TargetStatus.FAILED).update(
        status=TargetStatus.PENDING, detail="")
    if count:
        Propagation.objects.filter(pk=run.pk).update(status=PropagationStatus.RUNNING, finished_at=None)
        transaction.on_commit(lambda: dispatch_or_leave_to_resume(run.pk))
    return count


def resume(stalled_after: timedelta = timedelta(minutes=2)) -> int:
    """Re-dispatch running propagations that have not moved for a while
    (a worker died holding a batch). Safe to run any time: targets are locked."""
    cutoff = timezone.now() - stalled_after
    count = 0
    never_queued = Q(dispatched_at__isnull=True, started_at__lt=cutoff)
    for run in Propagation.objects.filter(Q(dispatched_at__lt=cutoff) | never_queued,
                                          status=PropagationStatus.RUNNING):
        recent = PropagationTarget.objects.filter(propagation=run, finished_at__gte=cutoff).exists()
        if not recent:
            count += dispatch(run.pk)
        finish_if_done(run)
    return count


def progress(run: Propagation) -> dict:
    counts = dict.fromkeys(TargetStatus.values, 0)
    rows = PropagationTarget.objects.filter(propagation=run).values("status").order_by().annotate(n=Count("pk"))
    for row in rows:
        counts[row["status"]] = row["n"]
    done = run.total - counts[TargetStatus.PENDING]
    return {"total": run.total, "done": done, "percent": round(100 * done / run.total) if run.total else 100,
            **counts}
