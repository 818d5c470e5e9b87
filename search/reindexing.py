"""`manage.py reindex`: rebuild every point's documents, and with Elasticsearch
a whole new index that replaces the old one behind the alias in one step.

Searches keep working throughout: PostgreSQL documents are replaced point by
point, each in one transaction; Elasticsearch readers stay on the old index
until the alias moves. While the new index is built, changes go to both
indexes (ElasticIndexState), and each point is copied under the same lock its
changes take, so the new index misses nothing that happened meanwhile.
"""
from __future__ import annotations

import time

from django.db import transaction

from tenants.models import ServicePoint

from . import backends, indexing
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
    old_indexes: list[str] = []
    if use_elastic:
        old_indexes = backends.elastic.current_indexes()
        new_index = backends.elastic.create_index()
        ElasticIndexState.objects.update_or_create(alias=alias(),
                                                   defaults={"write_indexes": [*old_indexes, new_index]})
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
    except Exception:
        if new_index is not None:  # back to the old index alone; the half-built one goes
            ElasticIndexState.objects.filter(alias=alias()).update(write_indexes=old_indexes)
            call(admin_client().indices.delete, index=new_index, ignore_unavailable=True)
        raise
    if new_index is not None:
        call(admin_client().indices.refresh, index=new_index)
        actions = [{"remove": {"index": old, "alias": alias()}} for old in old_indexes]
        call(admin_client().indices.update_aliases, actions=[*actions, {"add": {"index": new_index, "alias": alias()}}])
        ElasticIndexState.objects.filter(alias=alias()).update(write_indexes=[new_index])
        for old in old_indexes:
            call(admin_client().indices.delete, index=old, ignore_unavailable=True)
        backends.reset()
        progress(f"别名 {alias()} 已指向 {new_index}")
    dropped = indexing.drop_unused_term_sets()
    if dropped:
        progress(f"清理不再使用的词项集 {dropped} 个")
    return {"points": len(points), "documents": total, "index": new_index}


def _reindex_some(points: list[ServicePoint], progress) -> dict:
    total = 0
    for n, point in enumerate(points, start=1):
        with transaction.atomic():
            count, gone = indexing.rebuild_point(point)
            if backends.elastic_enabled():
                docs = indexing.stored(SearchDocument.objects.filter(point_id=point.pk))
                backends.elastic.write(docs, gone)
        total += count
        progress(f"[{n}/{len(points)}] {point.slug}：{count} 个文档")
    return {"points": len(points), "documents": total, "index": None}


def point_restored(sender, point: ServicePoint, log=print, **kwargs) -> None:
    """tenants.hooks.point_restored: search documents are not archived; they
    are rebuilt from the restored point's guides, with the import's progress."""
    reindex(progress=log, points=[point])
