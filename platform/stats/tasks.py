"""The rollup's beat task (settings.CELERY_BEAT_SCHEDULE "stats-rollup")."""
from celery import shared_task

from . import rollup


@shared_task(name="stats.tasks.update_rollups", ignore_result=True)
def update_rollups() -> int:
    """Add what happened since the last run to the rollups (idempotent: see stats.rollup)."""
    return rollup.update()
