"""Working days on the Chinese calendar.

The official schedule (public holidays, and the weekend days made working
days, 调休) comes from the chinese-calendar package. It covers the years the
State Council had published when it was released: 1.11.0 stops at 2026, yet a
case accepted in December 2026 falls due in 2027. For a year it does not cover
we count Monday to Friday, plus the days central admins enter (`WorkdayEntry`),
and `missing_years` tells supervisors and central admins that the year's
schedule is still missing until they confirm it (`WorkdayYear`). An admin's
entry also overrides the package (a local correction).

Counting follows the usual rule for administrative time limits: the day of
acceptance is not counted; a limit of N working days ends on the N-th working
day after it; 0 days (即办件) ends the same day.
"""
from __future__ import annotations

import datetime as dt
import time

import chinese_calendar
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import WorkdayEntry, WorkdayYear

MAX_SPAN_DAYS = 3 * 366  # a limit beyond this is a data error, not a date to compute


def package_covers(year: int) -> bool:
    """Whether chinese-calendar knows the official schedule of `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


# The admins' entries, read at most every ENTRIES_TTL seconds per process (a
# change here clears it at once; another process sees it within the TTL).
ENTRIES_TTL = 30.0
_cache: dict[str, object] = {"at": -ENTRIES_TTL, "entries": {}}


def _entries() -> dict[dt.date, bool]:
    if time.monotonic() - float(_cache["at"]) > ENTRIES_TTL:  # type: ignore[arg-type]
        _cache["entries"] = dict(WorkdayEntry.objects.values_list("day", "is_workday"))
        _cache["at"] = time.monotonic()
    return _cache["entries"]  # type: ignore[return-value]


@receiver([post_save, post_delete], sender=WorkdayEntry)
def clear_cache(**kwargs) -> None:
    """Forget the entries read so far."""
    _cache["at"] = -ENTRIES_TTL


def is_workday(day: dt.date) -> bool:
    entry = _entries().get(day)
    if entry is not None:
        return entry
    if package_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The N-th working day after `start` (`start` itself for 0)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if (day - start).days > MAX_SPAN_DAYS:
            raise ValueError(f"{days} working days from {start} is beyond {MAX_SPAN_DAYS} days")
        if is_workday(day):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def working_days_left(today: dt.date, due: dt.date) -> int:
    """Working days from today to the due date: 0 on the day, negative when overdue."""
    if due >= today:
        return working_days_between(today, due)
    return -working_days_between(due, today)


def missing_years(today: dt.date, ahead: int = 1) -> list[int]:
    """Years up to `ahead` after today's whose official schedule nobody has:
    neither the package nor a central admin's confirmation covers them."""
    confirmed = set(WorkdayYear.objects.values_list("year", flat=True))
    return [year for year in range(today.year, today.year + ahead + 1)
            if not package_covers(year) and year not in confirmed]
