"""统计分析 in a point's Wagtail admin: the dashboard of the point or of a point
below it (drill-down), by day, month or year, and its tables as Excel.
Views parse and render; stats.dashboard decides what the user may see."""
from __future__ import annotations

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header

from cases import clock

from . import dashboard, exporting
from .figures import Period

DENIED = "统计分析只对本服务点及上级的督查员、管理员和中心管理员开放。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _denied(request, message: str = DENIED, status: int = 403):
    return TemplateResponse(request, "stats/admin/denied.html", {"message": message}, status=status)


def _int(value, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _period(request) -> Period:
    today = clock.today()
    return dashboard.period_of(_int(request.GET.get("year"), 2000, today.year + 1),
                               _int(request.GET.get("month"), 0, 12), today)


def _build(request, point_id, **kwargs):
    point = getattr(request, "point", None)
    if not dashboard.may_view(request.user, point):
        return None, _denied(request)
    try:
        return dashboard.build(request.user, point, point_id, _period(request), **kwargs), None
    except dashboard.OutOfScope as error:
        return None, _denied(request, str(error), 404)


def dashboard_view(request, point_id: int | None = None):
    board, refused = _build(request, point_id)
    if refused:
        return refused
    today = clock.today()
    return TemplateResponse(request, "stats/admin/dashboard.html", {
        "board": board, "years": list(range(today.year, today.year - 6, -1)), "months": range(1, 13),
        "sections": [(table, board.charts.get(table.key, "")) for table in board.tables],
    })


def export_view(request, point_id: int | None = None):
    board, refused = _build(request, point_id, with_charts=False)
    if refused:
        return refused
    key = request.GET.get("table")
    tables = [t for t in board.tables if t.key == key] or board.tables
    title = f"{board.point.name} {board.period.label} 政务服务统计"
    response = HttpResponse(exporting.workbook_bytes(title, tables), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{title}.xlsx")
    return response
