"""工作日历: central admins correct the official calendar and fill in a year
the chinese-calendar package does not cover yet (cases.workdays reads it).

The calendar is the whole cell's (the State Council's schedule is national):
the entries have no point. Only a county's central admins write them; each
refusal says why in Chinese and changes nothing.
"""
from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenants import access
from tenants.models import ServicePoint

from . import workdays
from .errors import CaseError
from .models import WorkdayEntry, WorkdayYear

# Entries are accepted for the last few years (a late correction) up to two
# years ahead (the schedule is published each autumn for the next year).
YEARS_BACK = 5
YEARS_AHEAD = 2
NOTE_MAX = WorkdayEntry._meta.get_field("note").max_length or 100


def years_open(today: dt.date | None = None) -> range:
    today = today or timezone.localdate()
    return range(today.year - YEARS_BACK, today.year + YEARS_AHEAD + 1)


def _check(by, point: ServicePoint | None) -> None:
    if not access.may_edit_workday_calendar(by, point):
        raise CaseError("只有县中心管理员可以修改工作日历。")


def _check_year(year: int, today: dt.date | None) -> None:
    years = years_open(today)
    if year not in years:
        raise CaseError(f"{year} 年超出可录入的范围（{years[0]}—{years[-1]} 年），未做任何更改。")


def entries_of(year: int):
    return WorkdayEntry.objects.filter(day__year=year).select_related("created_by").order_by("day")


def confirmed_years() -> set[int]:
    return set(WorkdayYear.objects.values_list("year", flat=True))


def default_is_workday(day: dt.date) -> bool:
    """What the day would be without any admin's entry (the package, else Monday to Friday)."""
    if workdays.package_covers(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


@transaction.atomic
def add_entry(by, point: ServicePoint | None, day: dt.date, is_workday: bool, note: str = "", *,
              today: dt.date | None = None) -> WorkdayEntry:
    """Make `day` a working day or a rest day (a holiday, or a weekend day made a workday: 调休)."""
    _check(by, point)
    _check_year(day.year, today)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise CaseError(f"说明不能超过 {NOTE_MAX} 个字，未做任何更改。")
    existing = WorkdayEntry.objects.filter(day=day).first()
    if existing is not None:
        raise CaseError(f"{day:%Y-%m-%d} 已录入为{'工作日' if existing.is_workday else '休息日'}；"
                        "如需更改，请先删除该条再录入。")
    try:
        with transaction.atomic():
            return WorkdayEntry.objects.create(day=day, is_workday=is_workday, note=note, created_by=by)
    except IntegrityError:  # entered at the same moment by another admin
        raise CaseError(f"{day:%Y-%m-%d} 已录入，请刷新后查看。") from None


@transaction.atomic
def remove_entry(by, point: ServicePoint | None, entry_id: int) -> WorkdayEntry:
    _check(by, point)
    entry = WorkdayEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise CaseError("没有这条工作日历记录，未做任何更改。")
    entry.delete()
    return entry


@transaction.atomic
def confirm_year(by, point: ServicePoint | None, year: int, *, today: dt.date | None = None) -> WorkdayYear:
    """Say that `year`'s official schedule is entered completely: the warning ends."""
    _check(by, point)
    _check_year(year, today)
    if workdays.package_covers(year):
        raise CaseError(f"{year} 年的法定节假日安排已包含在日历数据中，无需确认。")
    if WorkdayYear.objects.filter(year=year).exists():
        raise CaseError(f"{year} 年已确认录入完整，未做任何更改。")
    if not entries_of(year).filter(is_workday=False).exists():
        raise CaseError(f"{year} 年还没有录入任何节假日，不能确认为完整：请先录入国务院办公厅公布的安排。")
    try:
        with transaction.atomic():
            return WorkdayYear.objects.create(year=year, confirmed_by=by)
    except IntegrityError:
        raise CaseError(f"{year} 年已确认录入完整，未做任何更改。") from None


def warning(today: dt.date) -> str:
    """The missing-schedule warning for supervisors and central admins, or ''."""
    years = workdays.missing_years(today)
    if not years:
        return ""
    return (f"{'、'.join(str(y) for y in years)} 年的法定节假日安排尚未录入：办件期限暂按周一至周五计算，"
            "请中心管理员在「工作日历」中录入国务院办公厅公布的安排。")
