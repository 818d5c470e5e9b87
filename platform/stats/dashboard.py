"""The statistics dashboard of a point (统计分析): what the admin page shows and
the Excel export writes, for the point the user chose within what
tenants.scope lets them see from where they are signed in."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.urls import reverse

from tenants.access import roles_at
from tenants.models import ROLES_REACHING_DOWN, ServicePoint
from tenants.scope import points_visible_to

from . import charts, figures
from .figures import Figures, Period
from .models import Cursor
from .tables import Row, Table

TOP_ITEMS = 15
CACHE_SECONDS = 600  # an upper bound: a new rollup run changes the key at once


class OutOfScope(Exception):
    pass


def may_view(user, point: ServicePoint | None) -> bool:
    """Supervisors, admins and central admins of the point (or above it)."""
    return bool(roles_at(user, point) & set(ROLES_REACHING_DOWN))


def scope_target(user, at: ServicePoint, target_id: int | None) -> ServicePoint:
    """The point asked for, if the user may read its figures from `at`; else OutOfScope."""
    visible = points_visible_to(user, at)
    target = visible.filter(pk=target_id or at.pk).first()
    if target is None:
        raise OutOfScope(f"您在{at.name}只能查看本服务点及其下级服务点的统计。")
    return target


def period_of(year: int | None, month: int | None, today: dt.date) -> Period:
    year = year or today.year
    if month is None and year == today.year:
        month = today.month
    return Period.month(year, month) if month else Period.year(year)


def page_url(point: ServicePoint, period: Period, name: str = "stats_dashboard_point") -> str:
    query = f"?year={period.start.year}" + (f"&month={period.start.month}" if period.grain == "m" else "&month=0")
    return reverse(name, args=[point.pk]) + query


@dataclass
class Dashboard:
    point: ServicePoint
    period: Period
    total: Figures
    tables: list[Table] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)
    trail: list[ServicePoint] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _stamp() -> str:
    """Changes whenever a rollup run or a rebuild has committed (each moves its cursor)."""
    return "|".join(f"{high}@{at.timestamp()}" for high, at in
                    Cursor.objects.order_by("name").values_list("high", "updated_at"))


def build(user, at: ServicePoint, target_id: int | None, period: Period, *, with_charts: bool = True) -> Dashboard:
    """The point's dashboard if the user may see it (else OutOfScope). The tables and charts of a
    point and period are kept in the cache until the rollups next move (a minute at most): figures
    are read far more often than they change, and drawing the charts is most of the work."""
    point = scope_target(user, at, target_id)
    visible = set(points_visible_to(user, at).values_list("pk", flat=True))
    key = f"stats:board:{point.pk}:{period.grain}:{period.start}:{int(with_charts)}:{_stamp()}"
    board = cache.get(key)
    if board is None:
        board = _build(point, period, with_charts)
        cache.set(key, board, CACHE_SECONDS)
    board.trail = [p for p in point.ancestors() if p.pk in visible]
    return board


def _build(point: ServicePoint, period: Period, with_charts: bool) -> Dashboard:
    whole, kids, own = figures.by_child(point, period)
    board = Dashboard(point, period, whole)

    by_point = Table("point", f"{point.name} {period.label} 各服务点（含下级）", "按服务点", "服务点")
    by_point.rows.append(Row("合计", whole))
    for kid, f in kids:
        by_point.rows.append(Row(kid.name, f, page_url(kid, period)))
    if kids:
        by_point.rows.append(Row(f"{point.name}（本级）", own))
    board.tables.append(by_point)

    unit = "日" if period.grain == "m" else "月"
    series = figures.series(point, period)
    label = (lambda d: f"{d.day}日") if period.grain == "m" else (lambda d: f"{d.month}月")
    over_time = Table("series", f"{point.name} {period.label} 按{unit}", f"按{unit}", unit)
    over_time.rows = [Row(label(day), f) for day, f in series]
    board.tables.append(over_time)

    parts = figures.breakdowns(point, period)
    for key, caption, first in (("item", "按事项", "事项"), ("department", "按部门", "实施部门"),
                                ("theme", "按主题", "主题")):
        table = Table(key, f"{point.name} {period.label} {caption}", caption, first)
        table.rows = [Row(name, f) for name, f in parts[key]]
        board.tables.append(table)

    by_year = Table("year", f"{point.name} 按年", "按年", "年份")
    by_year.rows = [Row(f"{day.year}年", f) for day, f in figures.years(point)]
    board.tables.append(by_year)

    if with_charts:
        board.charts = _charts(board, kids, series, label, parts)
    return board


def _counts(rows: list[tuple[str, Figures]]) -> dict[str, list]:
    return {"收件": [f.received for _n, f in rows], "受理": [f.accepted for _n, f in rows],
            "办结": [f.completed for _n, f in rows]}


def _charts(board: Dashboard, kids, series, label, parts) -> dict[str, str]:
    out = {}
    if kids:
        rows = [(kid.name, f) for kid, f in kids]
        out["point"] = charts.bars(f"各服务点 {board.period.label}", [n for n, _f in rows], _counts(rows),
                                   horizontal=True)
    rows = [(label(day), f) for day, f in series]
    out["series"] = charts.bars(f"{board.point.name} {board.period.label}", [n for n, _f in rows], _counts(rows))
    for key, title in (("item", "办件最多的事项"), ("department", "各部门"), ("theme", "各主题")):
        top = parts[key][:TOP_ITEMS]
        if top:
            out[key] = charts.bars(f"{title} {board.period.label}", [n for n, _f in top], _counts(top),
                                   horizontal=True)
    years = board.table("year").rows
    if years:
        out["year"] = charts.line("各年办结率、按时办结率、满意率（%）", [r.label for r in years], {
            "办结率": [r.figures.rate("completion_rate") for r in years],
            "按时办结率": [r.figures.rate("on_time_rate") for r in years],
            "满意率": [r.figures.rate("satisfaction_rate") for r in years]})
    return out
