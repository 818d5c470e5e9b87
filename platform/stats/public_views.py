"""The point's public figures page (/figures/ on its host): the month's 办结率,
按时办结率 and 满意率, as county service centres put them on their boards."""
from __future__ import annotations

import re

from django.http import Http404
from django.template.response import TemplateResponse

from cases import clock
from tenants.scope import current_point

from . import figures
from .figures import Period

MONTHS_LISTED = 6


def _months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def headline(point, period: Period) -> dict:
    total = figures.total(point, period)
    return {"total": total, "rates": [
        ("办结率", total.rate("completion_rate"), f"办结 {total.completed} 件，受理 {total.accepted} 件"),
        ("按时办结率", total.rate("on_time_rate"), f"按时办结 {total.on_time} 件，办结 {total.completed} 件"),
        ("满意率", total.rate("satisfaction_rate"), f"满意评价 {total.satisfied} 条，评价 {total.ratings} 条"),
    ]}


def public_figures(request):
    point = current_point(request)
    if point is None:
        raise Http404
    today = clock.today()
    recent = _months_back(today.year, today.month, MONTHS_LISTED)
    year, month = today.year, today.month
    asked = re.fullmatch(r"(\d{4})-(\d{1,2})", request.GET.get("month", "").strip())
    if asked and (int(asked[1]), int(asked[2])) in recent:
        year, month = int(asked[1]), int(asked[2])
    period = Period.month(year, month)
    return TemplateResponse(request, "stats/public/figures.html", {
        "point": point, "period": period, **headline(point, period),
        "recent": [(f"{y}-{m:02d}", f"{y}年{m}月", (y, m) == (year, month)) for y, m in recent],
        "covers_below": point.children.exists(),
    })
