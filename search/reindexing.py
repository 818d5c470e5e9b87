"""`manage.py reindex`: rebuild every point's documents, and with Elasticsearch
a whole new index that replaces the old one behind the alias in one step.

Searches keep working throughout: PostgreSQL documents are replaced point by
point, each in one transaction; Elasticsearch readers stay on the old index
until the alias moves. While the new index is built, changes go to both
indexes (ElasticIndexState), and each point is copied under the same lock its
changes take, so the new index misses nothing that happened meanwhile.

The network entries (search/backends/elastic_entries.py) get a new index the
same way: composed from PostgreSQL's documents once every point is stored,
county by county under the lock the outbox takes to write them.
`reindex --entries` rebuilds them alone (seconds: no document is rebuilt).
"""
from __future__ import annotations

import time

from django.db import transaction

from tenants.models import ServicePoint

from . import backends, indexing
from .backends import elastic_entries
from .backends.elastic import admin_client, alias, call
from .models import ElasticIndexState, SearchDocument


def reindex(progress=print, points=None) -> dict:
    """Every point (a new Elasticsearch index), or only `points` (their
    documents rebuilt and written to the current index)."""
    if points is not None:
        return _reindex_some(list(points), progress)
    points = list(ServicePoint.objects.real().order_by("pk"))
    use_elastic = backends.elastic_enabled()
    new_index: str | None = None  # set exactly when Elasticsearch is in use
    new_entries = ""
    if use_elastic:
        old_indexes = backends.elastic.current_indexes()
        new_index = _start(alias())
        new_entries = _start(elastic_entries.alias())
        progress(f"新建 Elasticsearch 索引 {new_index}"
                 + (f"（旧索引 {', '.join(old_indexes)} 照常提供搜索）" if old_indexes else ""))
    started, total = time.monotonic(), 0
    try:
        for n, point in enumerate(points, start=1):
            with transaction.atomic():
                count, _gone = indexing.rebuild_point(point)  # takes the point's lock until commit
                if new_index is not None:
                    docs = indexing.stored(SearchDocument.objects.filter(point_id=point.pk))
                    # No refresh per point: the new index is refreshed once, before the alias moves.
                    backends.elastic.write(docs, [], indexes=[new_index], refresh=False)
            total += count
            if n == len(points) or n % 10 == 0 or len(points) <= 30:
                progress(f"[{n}/{len(points)}] {point.slug}：{count} 个文档（累计 {total}，"
                         f"{time.monotonic() - started:.1f} 秒）")
        if new_index is not None:
            _fill_entries(new_entries, progress)
    except Exception:
        if new_index is not None:  # back to the old indexes alone; the half-built ones go
            _abandon(alias(), new_index)
            _abandon(elastic_entries.alias(), new_entries)
        raise
    if new_index is not None:
        _switch(alias(), new_index, progress)
        _switch(elastic_entries.alias(), new_entries, progress)
        backends.reset()
    dropped = indexing.drop_unused_term_sets()
    if dropped:
        progress(f"清理不再使用的词项集 {dropped} 个")
    return {"points": len(points), "documents": total, "index": new_index}


def reindex_entries(progress=print) -> dict:
    """Only the network entries: a new index composed from PostgreSQL's documents
    (after an upgrade that changed them; the documents are left as they are)."""
    new_entries = _start(elastic_entries.alias())
    try:
        count = _fill_entries(new_entries, progress)
    except Exception:
        _abandon(elastic_entries.alias(), new_entries)
        raise
    _switch(elastic_entries.alias(), new_entries, progress)
    backends.reset()
    return {"entries": count, "index": new_entries}


def _start(name: str) -> str:
    """A new index for alias `name`, taking writes beside the old ones from now on."""
    old = backends.elastic.current_indexes(name)
    new = backends.elastic.create_index(name)
    ElasticIndexState.objects.update_or_create(alias=name, defaults={"write_indexes": [*old, new]})
    return new


def _fill_entries(index: str, progress) -> int:
    total, counties = backends.elastic.fill_entries(index)
    progress(f"网络条目 {total} 个（{counties} 个县）")
    return total


def _abandon(name: str, index: str) -> None:
    ElasticIndexState.objects.filter(alias=name).update(
        write_indexes=[i for i in backends.elastic.current_indexes(name) if i != index])
    call(admin_client().indices.delete, index=index, ignore_unavailable=True)


def _switch(name: str, index: str, progress) -> None:
    """Refreshed once, then the alias moves in one request and the old indexes go."""
    old_indexes = [i for i in backends.elastic.current_indexes(name) if i != index]
    call(admin_client().indices.refresh, index=index)
    actions = [{"remove": {"index": old, "alias": name}} for old in old_indexes]
    call(admin_client().indices.update_aliases, actions=[*actions, {"add": {"index": index, "alias": name}}])
    ElasticIndexState.objects.filter(alias=name).update(write_indexes=[index])
    for old in old_indexes:
        call(admin_client().indices.delete, index=old, ignore_unavailable=True)
    progress(f"别名 {name} 已指向 {index}")


def _reindex_some(points: list[ServicePoint], progress) -> dict:
    total = 0
    for n, point in enumerate(points, start=1):
        with transaction.atomic():
            count, gone = indexing.rebuild_point(point)
            if backends.elastic_enabled():
                docs = indexing.stored(SearchDocument.objects.filter(point_id=point.pk))
                backends.elastic.write(docs, gone)
                codes = {doc["code"] for doc in docs} | {doc_id.split(":", 1)[1] for doc_id, _ in gone}
                backends.elastic.write_entries(point.county_code, codes)
        total += count
        progress(f"[{n}/{len(points)}] {point.slug}：{count} 个文档")
    return {"points": len(points), "documents": total, "index": None}


def point_restored(sender, point: ServicePoint, log=print, **kwargs) -> None:
    """tenants.hooks.point_restored: search documents are not archived; they
    are rebuilt from the restored point's guides, with the import's progress."""
    reindex(progress=log, points=[point])
