"""Celery tasks of the standard library. They run in the public schema and
enter each point's schema explicitly (standards.propagation)."""
from __future__ import annotations

from celery import shared_task

from . import propagation


@shared_task(acks_late=True, reject_on_worker_lost=True)
def apply_batch(propagation_id: int, point_ids: list[int]) -> dict[str, int]:
    return propagation.apply_batch(propagation_id, point_ids)


@shared_task
def resume_propagations() -> int:
    return propagation.resume()
