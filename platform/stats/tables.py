"""The statistics tables as plain data: the admin page renders them, the Excel
export writes them, and both hold the same numbers."""
from __future__ import annotations

from dataclasses import dataclass, field

from .figures import Figures, percent

# (header, kind, key): kind "n" a count, "r" a rate in percent, "a" an average of working days.
COLUMNS = [
    ("收件", "n", "received"), ("受理", "n", "accepted"), ("不予受理", "n", "refused"),
    ("办结", "n", "completed"), ("按时办结", "n", "on_time"),
    ("办结率", "r", "completion_rate"), ("按时办结率", "r", "on_time_rate"),
    ("平均用时（工作日）", "a", "days_used"), ("平均承诺时限（工作日）", "a", "days_promised"),
    ("即办件占比", "r", "immediate_share"), ("网办率", "r", "online_rate"),
    ("最多跑一次实现率", "r", "one_visit_rate"), ("转办上报", "n", "handed_up"), ("退回", "n", "returned"),
    ("撤回", "n", "withdrawn"), ("评价", "n", "ratings"), ("满意评价", "n", "satisfied"),
    ("满意率", "r", "satisfaction_rate"),
]


@dataclass
class Row:
    label: str
    figures: Figures
    link: str = ""

    @property
    def cells(self) -> list:
        """For Excel: numbers stay numbers (rates in percent, blank when undefined)."""
        out: list = [self.label]
        for _header, kind, key in COLUMNS:
            if kind == "n":
                out.append(self.figures.counts[key])
            elif kind == "r":
                out.append(self.figures.rate(key))
            else:
                out.append(self.figures.average(key))
        return out

    @property
    def shown(self) -> list[str]:
        out = []
        for value, (_header, kind, _key) in zip(self.cells[1:], COLUMNS, strict=True):
            if kind == "r":
                out.append(percent(value))
            elif kind == "a":
                out.append("—" if value is None else f"{value:.1f}")
            else:
                out.append(str(value))
        return out


@dataclass
class Table:
    key: str
    caption: str
    sheet: str
    first: str  # the first column's header
    rows: list[Row] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [self.first, *(header for header, _kind, _key in COLUMNS)]
