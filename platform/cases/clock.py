"""The time cases run on: now, unless the demo replays a story over past days.

Every time a case records (its events' `at`, receipt, acceptance, due dates)
comes from here, so a replayed story has a consistent clock and a valid hash
chain. Only the demo loader and tests set it (`replaying`)."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.utils import timezone

_at: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("cases_clock", default=None)


def now() -> dt.datetime:
    return _at.get() or timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def replaying(moment: dt.datetime):
    """Run the steps inside as if it were `moment` (an aware datetime)."""
    token = _at.set(moment)
    try:
        yield
    finally:
        _at.reset(token)
