"""Celery tasks of cases. They run in public: cases are shared rows."""
from __future__ import annotations

from celery import shared_task

from . import delivery


@shared_task(acks_late=True)
def deliver_notices() -> int:
    return delivery.deliver_pending()


@shared_task
def deliver_pending() -> int:
    """Beat: notices whose task was lost (broker down, worker killed) go out here."""
    return delivery.deliver_pending()
