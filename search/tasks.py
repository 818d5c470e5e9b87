"""Celery tasks of search. They run in public and enter a point's schema themselves."""
from __future__ import annotations

from celery import shared_task

from . import indexing


@shared_task(acks_late=True)
def apply_changes(point_id: int) -> dict[str, int]:
    return indexing.apply_changes(point_id)


@shared_task
def apply_pending() -> int:
    return indexing.apply_pending()


@shared_task
def prune_log() -> int:
    from . import stats

    return stats.prune()


@shared_task
def forget_answers(county_code: str) -> None:
    """Once Elasticsearch's refresh has made a change visible (search.results_cache)."""
    from . import results_cache

    results_cache.bump(county_code)
