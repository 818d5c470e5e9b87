"""Celery beat task of powers (public schema: grants are shared rows)."""
from __future__ import annotations

from celery import shared_task

from . import reminders, services


@shared_task
def expire_and_remind() -> dict[str, int]:
    """Grants past their end stop by themselves, grants whose start came begin; reminders 30 and 7 days ahead."""
    done = services.expire_due()
    done["reminded"] = len(reminders.remind_due())
    return done
