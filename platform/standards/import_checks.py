"""Check rows read from a file before anything is imported: every row through
`elements.normalize`, duplicate codes, items owned by another authority, and
items with an unpublished draft in the way. All rows are checked; every problem
is reported by row, code and element.
"""
from __future__ import annotations

import re

from . import authority, elements, exporting
from .import_readers import Row
from .import_report import Problem
from .models import StandardItem, VersionStatus

_NTH = re.compile(r"^第 (\d+) (项|条)")


def _problems_of(row: Row, exc: elements.ContentError) -> list[Problem]:
    found = []
    for key, messages in exc.problems.items():
        for message in messages:
            sheet_rows = {"materials": row.material_rows, "faq": row.faq_rows}.get(key)
            match = _NTH.match(message)
            if sheet_rows and match and int(match.group(1)) <= len(sheet_rows):
                sheet = exporting.MATERIALS_SHEET if key == "materials" else exporting.FAQ_SHEET
                message = f"「{sheet}」表第 {sheet_rows[int(match.group(1)) - 1]} 行：{message}"
            found.append(Problem(row.number, row.code, key, message, where=row.where))
    return found


def check(rows: list[Row], owner: str = authority.SHARED) -> tuple[list[tuple[Row, dict]], list[Problem]]:
    """Every row normalized, and every problem found (all rows are checked).
    Existing items must belong to `owner`, in whose name the file is imported."""
    problems: list[Problem] = []
    good: list[tuple[Row, dict]] = []
    first_row: dict[str, Row] = {}
    for row in rows:
        if row.code and row.code in first_row:
            other = first_row[row.code]
            problems.append(Problem(row.number, row.code, "code",
                                    f"基本编码与{other.where.format(n=other.number)}重复。", where=row.where))
        first_row.setdefault(row.code, row)
        try:
            good.append((row, elements.normalize(row.raw)))
        except elements.ContentError as exc:
            problems.extend(_problems_of(row, exc))
    # Items whose open draft would block a new published version.
    codes = [c["code"] for _, c in good]
    items = {i.code: i for i in StandardItem.objects.filter(code__in=codes).select_related("current")}
    blocked = dict(StandardItem.objects.filter(
        code__in=codes, versions__status__in=[VersionStatus.DRAFT, VersionStatus.REVIEW]
    ).values_list("code", "versions__number"))
    for row, content in good:
        item = items.get(content["code"])
        if item is not None and item.authority != owner:
            problems.append(Problem(row.number, row.code, "code",
                                    f"该事项属于{authority.label(item.authority)}，"
                                    f"不能以{authority.label(owner)}的名义导入。", where=row.where))
            continue
        if content["code"] in blocked and not (item is not None and item.current is not None
                                                 and item.current.content == content):
            problems.append(Problem(row.number, row.code, "code",
                                    f"该事项有未发布的第 {blocked[content['code']]} 版（草稿或待审核），"
                                    "请先在事项标准库中发布或撤回它再导入。", where=row.where))
    problems.sort(key=lambda p: (p.where, p.row or 0))
    return good, problems
