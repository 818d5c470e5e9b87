"""Keeping both indexes in step with the points' live guides.

A change to a guide (publish, unpublish, move, delete, adoption, propagation)
writes an `IndexChange` row in the same transaction as the change (the
outbox) and, after commit, queues `search.tasks.apply_changes` for the point.
That task, one point at a time (an advisory lock), rebuilds the point's
documents for the changed codes from what is live *now* — so running it twice,
or late, is harmless — stores them in PostgreSQL, then writes them to
Elasticsearch. If Elasticsearch is down the rows stay, marked `stored`, and
beat's `apply_pending` retries until it takes them: nothing is lost, and since
every write sends the current document, nothing is left stale.
"""
from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models import F
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from cms import delegation
from tenants.models import ServicePoint
from tenants.scope import current_point

from . import analysis, backends, documents, results_cache
from .backends.base import BackendUnavailable
from .models import IndexChange, SearchDocument, SearchTermSet

log = logging.getLogger("search")
LOCK_SPACE = 7301  # advisory lock space of search indexing (key 2: the point id)


def queue_changes(codes, point: ServicePoint | None = None) -> None:
    """Record that these guides of the point changed; index them after commit."""
    point = point or current_point()
    codes = sorted(set(codes))
    if point is None or not codes:
        return
    IndexChange.objects.bulk_create([IndexChange(point_id=point.pk, code=code) for code in codes])
    point_id = point.pk
    transaction.on_commit(lambda: _send(point_id))


def guides_changed(sender, point: ServicePoint, codes, **kwargs) -> None:
    """cms.hooks.guides_changed: guides changed without Wagtail's page signals."""
    queue_changes(codes, point)


def _send(point_id: int) -> None:
    from .tasks import apply_changes

    try:
        # From public: the task enters the point's schema itself.
        with schema_context(get_public_schema_name()):
            apply_changes.delay(point_id)
    except Exception:  # broker down: the rows wait for beat's apply_pending
        log.warning("search: index task for point %s not queued; apply_pending will run it", point_id,
                    exc_info=True)


def lock_point(point_id: int) -> None:
    """Until the end of the transaction, no one else indexes this point (nor
    deletes it: a deletion takes this lock too, on tenants.hooks.point_deleting,
    so a task never writes documents of a point whose deletion is under way)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, point_id])


def apply_changes(point_id: int) -> dict[str, int]:
    """Bring the point's changed documents up to date in both indexes."""
    with transaction.atomic():
        lock_point(point_id)
        point = ServicePoint.objects.filter(pk=point_id).first()  # after the lock: it may have just gone
        if point is None:
            return {"stored": 0, "sent": 0}
        fresh = list(IndexChange.objects.filter(point_id=point_id, stored=False).values_list("pk", "code"))
        if fresh:
            store(point, {code for _, code in fresh})
            IndexChange.objects.filter(pk__in=[pk for pk, _ in fresh]).update(stored=True)
        sent = _send_to_elastic(point)
        if fresh or sent:
            results_cache.bump_around_commit(point.county_code)
    return {"stored": len(fresh), "sent": sent}


def store(point: ServicePoint, codes: set[str]) -> list[dict]:
    """Rebuild the PostgreSQL documents of these codes from the live guides."""
    vocab = analysis.current_vocabulary()
    with tenant_context(point):
        parks = delegation.parks_by_code(point, codes)
        docs = [documents.build(vocab, point, page, parks.get(page.code)) for page in documents.live_guides(codes)]
    live = {doc["code"] for doc in docs}
    SearchDocument.objects.filter(point_id=point.pk, code__in=codes - live).delete()
    _upsert(docs)
    return docs


def _upsert(docs: list[dict]) -> None:
    if not docs:
        return
    sets = {doc["terms_key"]: doc["weights"] for doc in docs}
    SearchTermSet.objects.bulk_create([SearchTermSet(key=key, weights=weights)
                                       for key, weights in sets.items()], ignore_conflicts=True)
    rows = [{k: v for k, v in doc.items() if k != "weights"} for doc in docs]
    fields = [f for f in rows[0] if f not in ("doc_id", "point_id")]
    SearchDocument.objects.bulk_create([SearchDocument(**row) for row in rows], update_conflicts=True,
                                       unique_fields=["doc_id"], update_fields=fields + ["point"])


def stored(documents_qs) -> list[dict]:
    """Stored documents as search.documents.build made them (weights included), for Elasticsearch."""
    rows = list(documents_qs.values())
    weights = dict(SearchTermSet.objects.filter(key__in={r["terms_key"] for r in rows})
                   .values_list("key", "weights"))
    return [{**row, "weights": weights[row["terms_key"]]} for row in rows]


def drop_unused_term_sets() -> int:
    """Term sets no document uses any more (a renamed guide, a new version)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchtermset t WHERE NOT EXISTS "
                       "(SELECT 1 FROM search_searchdocument d WHERE d.terms_key = t.key)")
        return cursor.rowcount


def _send_to_elastic(point: ServicePoint) -> int:
    """Write the point's stored-but-not-sent changes to Elasticsearch; the rows
    are removed only when it took them."""
    pending = list(IndexChange.objects.filter(point_id=point.pk, stored=True).values_list("pk", "code"))
    if not pending:
        return 0
    if not backends.elastic_enabled():
        IndexChange.objects.filter(pk__in=[pk for pk, _ in pending]).delete()
        return 0
    codes = {code for _, code in pending}
    docs = stored(SearchDocument.objects.filter(point_id=point.pk, code__in=codes))
    gone = codes - {doc["code"] for doc in docs}
    try:
        backends.elastic.write(docs, [(documents.doc_id(point, code), point.schema_name) for code in gone])
        # What searches read (search/backends/elastic_entries.py): the county's entries of these codes.
        backends.elastic.write_entries(point.county_code, codes)
    except BackendUnavailable as exc:
        IndexChange.objects.filter(pk__in=[pk for pk, _ in pending]).update(attempts=F("attempts") + 1)
        log.warning("search: Elasticsearch did not take %s changes of %s, will retry (%s)",
                    len(pending), point.slug, exc)
        return 0
    IndexChange.objects.filter(pk__in=[pk for pk, _ in pending]).delete()
    return len(docs) + len(gone)


def apply_pending() -> int:
    """Beat: every point with changes still waiting (a task lost, the broker or
    Elasticsearch down). Returns how many points were handled."""
    point_ids = sorted(set(IndexChange.objects.values_list("point_id", flat=True)))
    for point_id in point_ids:
        try:
            apply_changes(point_id)
        except Exception:  # one point's failure must not stop the others
            log.exception("search: applying pending changes of point %s failed", point_id)
    return len(point_ids)


def rebuild_point(point: ServicePoint) -> tuple[int, list[tuple[str, str]]]:
    """Every document of the point, from its live guides, in one transaction
    (readers see the old set until it commits, never an empty one). Returns
    how many, and the (doc_id, schema) of documents that went."""
    with transaction.atomic():
        lock_point(point.pk)
        vocab = analysis.current_vocabulary()
        with tenant_context(point):
            parks = delegation.parks_by_code(point, None)
            docs = [documents.build(vocab, point, page, parks.get(page.code)) for page in documents.live_guides()]
        stale = SearchDocument.objects.filter(point_id=point.pk).exclude(doc_id__in=[d["doc_id"] for d in docs])
        gone = [(doc_id, point.schema_name) for doc_id in stale.values_list("doc_id", flat=True)]
        stale.delete()
        _upsert(docs)
        results_cache.bump_around_commit(point.county_code)
        return len(docs), gone


def forget_point(point: ServicePoint) -> None:
    """A point deleted: its documents go from both indexes."""
    SearchDocument.objects.filter(point_id=point.pk).delete()
    IndexChange.objects.filter(point_id=point.pk).delete()
    results_cache.bump_around_commit(point.county_code)
    if backends.elastic_enabled():
        try:
            backends.elastic.delete_point(point.schema_name)
            backends.elastic.write_entries(point.county_code)  # the point leaves every entry of its county
        except BackendUnavailable:
            log.warning("search: Elasticsearch did not drop the documents of %s; run reindex", point.slug)


def point_deleting(sender, point: ServicePoint, **kwargs) -> None:
    """tenants.hooks.point_deleting, inside the deletion's transaction: the
    point's lock until it commits, so no task writes its documents meanwhile."""
    lock_point(point.pk)


def point_deleted(sender, point: ServicePoint, **kwargs) -> None:
    """tenants.hooks.point_deleted: its documents go from Elasticsearch (its
    PostgreSQL rows went with the point's row)."""
    forget_point(point)
