"""工作日历 in the county's Wagtail admin: central admins list, add and remove
days and confirm a year as complete (cases.calendar_admin decides)."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tenants import access

from . import calendar_admin, workdays
from .errors import CaseError

DENIED = "只有县中心管理员可以查看和修改工作日历。"


def _year(value: str | None, today: dt.date) -> int:
    """The year asked for, if it is one the calendar takes; else the first
    missing one, else this year (a bad value is not worth an error page)."""
    try:
        year = int(value or "")
    except ValueError:
        year = 0
    if year in calendar_admin.years_open(today):
        return year
    missing = workdays.missing_years(today)
    return missing[0] if missing else today.year


def _post(request, point, today: dt.date) -> str:
    """Do what the form asks; the message for the user (raises CaseError when refused)."""
    action = request.POST.get("action")
    if action == "add":
        try:
            day = dt.date.fromisoformat(request.POST.get("day", "").strip())
        except ValueError:
            raise CaseError("请按 2027-10-01 的格式填写日期，未做任何更改。") from None
        kind = request.POST.get("kind")
        if kind not in ("workday", "rest"):
            raise CaseError("请选择工作日或休息日，未做任何更改。")
        entry = calendar_admin.add_entry(request.user, point, day, kind == "workday",
                                         request.POST.get("note", ""), today=today)
        return f"已将 {entry.day:%Y-%m-%d} 录入为{'工作日' if entry.is_workday else '休息日'}。"
    if action == "remove":
        try:
            entry_id = int(request.POST.get("entry", ""))
        except ValueError:
            raise CaseError("没有这条工作日历记录，未做任何更改。") from None
        entry = calendar_admin.remove_entry(request.user, point, entry_id)
        return f"已删除 {entry.day:%Y-%m-%d} 的录入。"
    if action == "confirm":
        try:
            year = int(request.POST.get("year", ""))
        except ValueError:
            raise CaseError("请选择要确认的年份，未做任何更改。") from None
        calendar_admin.confirm_year(request.user, point, year, today=today)
        return f"已确认 {year} 年的法定节假日安排录入完整。"
    raise CaseError("未知的操作，未做任何更改。")


@require_http_methods(["GET", "POST"])
def calendar(request):
    point = getattr(request, "point", None)
    if not access.may_edit_workday_calendar(request.user, point):
        return TemplateResponse(request, "cases/admin/calendar.html", {"denied": DENIED}, status=403)
    today = timezone.localdate()
    if request.method == "POST":
        try:
            done = _post(request, point, today)
        except CaseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
        year = _year(request.POST.get("year") or request.POST.get("day", "")[:4], today)
        return redirect(f"{reverse('cases_calendar')}?year={year}")
    year = _year(request.GET.get("year"), today)
    entries = [(entry, calendar_admin.default_is_workday(entry.day)) for entry in calendar_admin.entries_of(year)]
    return TemplateResponse(request, "cases/admin/calendar.html", {
        "year": year, "years": calendar_admin.years_open(today), "entries": entries,
        "covered": workdays.package_covers(year), "confirmed": year in calendar_admin.confirmed_years(),
        "warning": calendar_admin.warning(today),
    })
