"""Celery tasks of 电子监察. They run in public: cases and warnings are shared rows."""
from __future__ import annotations

from celery import shared_task

from tenants.models import ServicePoint

from . import monitor


@shared_task
def check_warnings(county_id: int | None = None) -> dict:
    """Beat (SUPERVISION_CHECK_SECONDS): raise and clear warnings in every county network, or in one."""
    county = ServicePoint.objects.filter(pk=county_id).first() if county_id else None
    if county_id and county is None:
        return {"raised": 0, "cleared": 0, "counties": 0, "errors": [f"no point {county_id}"]}
    result = monitor.check(county)
    return {"raised": result.raised, "cleared": result.cleared, "counties": result.counties,
            "errors": result.errors[:20]}
