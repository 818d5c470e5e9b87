"""Reading the rollups: a point's figures (its whole subtree) for a period, by
child point, by item, department and theme, and over time. Every read touches
only the rows of the point asked for (or of its children), never the cases:
a county's month is a few hundred rows whatever the number of cases."""
from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum

from standards.models import StandardItemVersion
from tenants.models import ServicePoint

from .models import COUNTERS, Grain, Rollup

SUMS = {name: Sum(name) for name in COUNTERS}
# The rates: (label, numerator, denominator).
RATES = {
    "completion_rate": ("办结率", "completed", "accepted"),
    "on_time_rate": ("按时办结率", "on_time", "completed"),
    "immediate_share": ("即办件占比", "immediate", "completed"),
    "online_rate": ("网办率", "online", "received"),
    "one_visit_rate": ("最多跑一次实现率", "one_visit", "completed"),
    "satisfaction_rate": ("满意率", "satisfied", "ratings"),
}


@dataclass
class Figures:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Figures:
        return cls({name: int(row.get(name) or 0) for name in COUNTERS})

    def __add__(self, other: Figures) -> Figures:
        return Figures({name: self.counts[name] + other.counts[name] for name in COUNTERS})

    def __sub__(self, other: Figures) -> Figures:
        return Figures({name: self.counts[name] - other.counts[name] for name in COUNTERS})

    def __getattr__(self, name: str):
        if name in COUNTERS:
            return self.counts[name]
        if name in RATES:
            return self.rate(name)
        raise AttributeError(name)

    def rate(self, name: str) -> float | None:
        """A share in percent (None when its denominator is 0). 办结率 compares the month's
        办结 with its 受理, so it may pass 100 % when older cases end in the month."""
        _label, top, bottom = RATES[name]
        return round(100 * self.counts[top] / self.counts[bottom], 1) if self.counts[bottom] else None

    def average(self, name: str) -> float | None:
        return round(self.counts[name] / self.counts["completed"], 1) if self.counts["completed"] else None

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@dataclass(frozen=True)
class Period:
    """A day, a month or a year; `series_grain` is what its chart shows (days of a month, months of a year)."""

    grain: str
    start: dt.date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(Grain.MONTH, dt.date(year, month, 1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(Grain.YEAR, dt.date(year, 1, 1))

    @property
    def end(self) -> dt.date:
        if self.grain == Grain.DAY:
            return self.start
        if self.grain == Grain.MONTH:
            return self.start.replace(day=monthrange(self.start.year, self.start.month)[1])
        return self.start.replace(month=12, day=31)

    @property
    def series_grain(self) -> str:
        return Grain.DAY if self.grain == Grain.MONTH else Grain.MONTH

    @property
    def label(self) -> str:
        if self.grain == Grain.DAY:
            return f"{self.start:%Y年%-m月%-d日}"
        if self.grain == Grain.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年"


def _rows(point_ids, period: Period):
    return Rollup.objects.filter(point_id__in=list(point_ids), grain=period.grain, period=period.start)


def total(point: ServicePoint, period: Period) -> Figures:
    return Figures.of(_rows([point.pk], period).aggregate(**SUMS))


def by_point(point_ids, period: Period) -> dict[int, Figures]:
    found = {row["point_id"]: Figures.of(row)
             for row in _rows(point_ids, period).values("point_id").annotate(**SUMS)}
    return {pk: found.get(pk, Figures()) for pk in point_ids}


def by_version(point: ServicePoint, period: Period) -> dict[int, Figures]:
    return {row["version_id"]: Figures.of(row)
            for row in _rows([point.pk], period).values("version_id").annotate(**SUMS)}


def breakdowns(point: ServicePoint, period: Period) -> dict[str, list[tuple[str, Figures]]]:
    """By item, department and theme, from the point's rows of the period (a case counts under each
    of its item's themes, so the themes may add up to more than the total)."""
    versions = by_version(point, period)
    info = {v["pk"]: v for v in StandardItemVersion.objects.filter(pk__in=versions).values(
        "pk", "item__code", "name", "department", "themes")}  # not the versions' content
    items: dict[str, Figures] = {}
    departments: dict[str, Figures] = {}
    themes: dict[str, Figures] = {}
    for pk, figures in versions.items():
        version = info[pk]
        key = f"{version['item__code']} {version['name']}"
        items[key] = items.get(key, Figures()) + figures
        departments[version["department"]] = departments.get(version["department"], Figures()) + figures
        for theme in version["themes"] or ["（未分类）"]:
            themes[theme] = themes.get(theme, Figures()) + figures
    order = lambda table: sorted(table.items(), key=lambda kv: (-kv[1].received - kv[1].completed, kv[0]))  # noqa: E731
    return {"item": order(items), "department": order(departments), "theme": order(themes)}


def series(point: ServicePoint, period: Period) -> list[tuple[dt.date, Figures]]:
    """Each day of a month (or month of a year), zeros included."""
    rows = {row["period"]: Figures.of(row) for row in Rollup.objects.filter(
        point_id=point.pk, grain=period.series_grain, period__range=(period.start, period.end),
    ).values("period").annotate(**SUMS)}
    out, day = [], period.start
    while day <= period.end:
        out.append((day, rows.get(day, Figures())))
        if period.series_grain == Grain.DAY:
            day += dt.timedelta(days=1)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def years(point: ServicePoint) -> list[tuple[dt.date, Figures]]:
    return [(row["period"], Figures.of(row)) for row in Rollup.objects.filter(
        point_id=point.pk, grain=Grain.YEAR).values("period").annotate(**SUMS).order_by("period")]


def children(point: ServicePoint) -> list[ServicePoint]:
    return list(ServicePoint.objects.filter(parent=point).order_by("region_code"))


def by_child(point: ServicePoint, period: Period) -> tuple[Figures, list[tuple[ServicePoint, Figures]], Figures]:
    """The point's total, each child's subtree, and the point's own share (本级: total minus children)."""
    kids = children(point)
    figures = by_point([point.pk, *(k.pk for k in kids)], period)
    whole = figures[point.pk]
    rows = [(kid, figures[kid.pk]) for kid in kids]
    own = whole
    for _kid, f in rows:
        own = own - f
    return whole, rows, own
