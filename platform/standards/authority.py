"""Who owns a standard item or a synonym group inside a cell.

A cell may hold a whole prefecture, so one library serves several counties.
Each item (and each synonym group, in `search`) names its owning authority by
region code:

    "530102"  a county (6 digits): only that county's central admins edit,
              submit, publish it and see its propagation; only points of that
              county adopt it.
    "5301"    a prefecture (4 digits): shared by its counties, read-only for
              them (there is no prefecture tier of points to edit it).
    ""        shared by the whole cell, read-only for every county.

Shared items change only through the operator's `import_standards` command
(and shared synonym groups through `manage.py synonyms`). Every check of who
may see or change an item goes through this module.
"""
from __future__ import annotations

import re

from django.db.models import Q

SHARED = ""
COUNTY_DIGITS = 6
PREFECTURE_DIGITS = 4
# What the database accepts too (CheckConstraint on both models).
PATTERN = r"^([0-9]{4}|[0-9]{6})?$"
_VALID = re.compile(PATTERN)

NOT_HERE = "本县的事项标准库中没有这个事项。"
READ_ONLY = "这是共用事项，各县只能查看；如需修改，请由运维人员用 import_standards 命令导入。"


def is_valid(code: str) -> bool:
    return bool(_VALID.match(code or ""))


def of_point(point) -> str:
    """The authority a point's central admins act for: its county."""
    return point.region_code[:COUNTY_DIGITS]


def visible_codes(point) -> list[str]:
    """What a point may see and adopt: its county's own, its prefecture's and the cell's shared."""
    return [SHARED, point.region_code[:PREFECTURE_DIGITS], point.region_code[:COUNTY_DIGITS]]


def visible_q(point, field: str = "authority") -> Q:
    return Q(**{f"{field}__in": visible_codes(point)})


def may_edit(point, code: str) -> bool:
    """Only a county edits, and only its own (shared ones go through the operator)."""
    return point is not None and code == of_point(point)


def label(code: str) -> str:
    if not code:
        return "全辖区共用"
    if len(code) == PREFECTURE_DIGITS:
        return f"市级共用（{code}）"
    return f"县级（{code}）"
