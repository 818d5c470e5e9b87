"""Export the standard library's current versions to JSON or Excel.

JSON is the catalogue format (`demo_data/standard_items.json`): one record per
item, as `content.to_record` gives it.

Excel is laid out for a county clerk to edit and hand back to the importer:

- sheet 「事项」: one row per item, one column per element (Chinese labels as
  headers). List elements (常用名称, 主题, 可收件层级, 办理流程, 送达方式) hold one
  entry per line inside the cell (Alt+Enter); a "；" also separates entries.
  Tiers are written as their Chinese names; yes/no as 是/否. 设定依据 holds
  one law per line: `《法规名称》第X条`, optionally `｜条文内容`.
- sheet 「申请材料」: one row per material, keyed by 基本编码, in the item's order.
- sheet 「常见问题」: one row per question, keyed by 基本编码.
- sheet 「填写说明」: the rules and allowed values (the importer ignores it).

Importing an export changes nothing (tests/test_standards_import.py).
"""
from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import elements
from .models import StandardItem

ITEMS_SHEET = "事项"
MATERIALS_SHEET = "申请材料"
FAQ_SHEET = "常见问题"
HELP_SHEET = "填写说明"
LIST_SEPARATOR = "\n"
LEGAL_TEXT_SEPARATOR = "｜"

# Item sheet columns: every element but the two that have sheets of their own.
ITEM_COLUMNS = [key for key in elements.LABELS if key not in ("materials", "faq")]
LIST_COLUMNS = ("aliases", "themes", "accept_tiers", "steps", "delivery")
MATERIAL_COLUMNS = ["code", *elements.MATERIAL_LABELS]
FAQ_COLUMNS = ["code", "q", "a"]
FAQ_LABELS = {"code": "基本编码", "q": "问题", "a": "回答"}
WIDTHS = {"name": 24, "conditions": 40, "legal_basis": 40, "steps": 14, "aliases": 18, "themes": 12,
          "materials": 24, "note": 30, "q": 30, "a": 50}


def current_records(items=None) -> list[dict]:
    """Every item's (or these items') current version, in code order, as catalogue records."""
    items = (StandardItem.objects.all() if items is None else items)
    items = items.filter(current__isnull=False).select_related("current").order_by("code")
    return [elements.to_record(item.current.content) for item in items]


def write_json(path, records: list[dict] | None = None) -> int:
    records = current_records() if records is None else records
    Path(path).write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return len(records)


def legal_lines(entries: list[dict]) -> str:
    lines = []
    for e in entries:
        line = f"{e.get('law', '')}{e.get('article', '')}"
        if e.get("text"):
            line += f"{LEGAL_TEXT_SEPARATOR}{e['text']}"
        lines.append(line)
    return "\n".join(lines)


def cell_value(key: str, value):
    """A content value as the clerk sees it in a cell."""
    if key == "accept_tiers":
        return LIST_SEPARATOR.join(elements.TIER_LABELS.get(v, v) for v in value)
    if key == "decide_tier":
        return elements.TIER_LABELS.get(value, value)
    if key == "legal_basis":
        return legal_lines(value)
    if key in LIST_COLUMNS:
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _sheet(book, title, columns, labels):
    sheet = book.create_sheet(title)
    sheet.append([labels.get(c, c) for c in columns])
    for n, column in enumerate(columns, 1):
        sheet.cell(row=1, column=n).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(n)].width = WIDTHS.get(column, 14)
    sheet.freeze_panes = "B2"
    return sheet


def _choices(sheet, column: int, values, rows: int) -> None:
    """A drop-down of allowed values on one column (the clerk may still type)."""
    listing = ",".join(values)
    if len(listing) > 250:  # Excel's limit for an inline list
        return
    check = DataValidation(type="list", formula1=f'"{listing}"', allow_blank=True, showErrorMessage=False)
    letter = get_column_letter(column)
    check.add(f"{letter}2:{letter}{max(rows, 2) + 200}")
    sheet.add_data_validation(check)


def build_workbook(records: list[dict]) -> Workbook:
    contents = [elements.normalize(r) for r in records]
    book = Workbook()
    book.remove(book.active)
    items = _sheet(book, ITEMS_SHEET, ITEM_COLUMNS, elements.LABELS)
    materials = _sheet(book, MATERIALS_SHEET, MATERIAL_COLUMNS, {"code": "基本编码", **elements.MATERIAL_LABELS})
    faq = _sheet(book, FAQ_SHEET, FAQ_COLUMNS, FAQ_LABELS)
    wrap = Alignment(wrap_text=True, vertical="top")
    for content in contents:
        items.append([cell_value(key, content.get(key, "")) for key in ITEM_COLUMNS])
        for m in content["materials"]:
            materials.append([content["code"], *(cell_value(k, m.get(k, "")) for k in elements.MATERIAL_LABELS)])
        for entry in content.get("faq", []):
            faq.append([content["code"], entry["q"], entry["a"]])
    for sheet in (items, materials, faq):
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = wrap
    for key, values in (("type", elements.ITEM_TYPES), ("online", elements.ONLINE_LEVELS),
                        ("decide_tier", [elements.TIER_LABELS[t] for t in elements.DECIDE_TIERS]),
                        ("park_delegable", ("是", "否"))):
        _choices(items, ITEM_COLUMNS.index(key) + 1, values, len(contents))
    for key, allowed in (("form", elements.MATERIAL_FORMS), ("source", elements.MATERIAL_SOURCES),
                         ("required", ("是", "否"))):
        _choices(materials, MATERIAL_COLUMNS.index(key) + 1, allowed, materials.max_row)
    _help_sheet(book)
    return book


def _help_sheet(book) -> None:
    sheet = book.create_sheet(HELP_SHEET)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 100
    tiers = "、".join(elements.TIER_LABELS.values())
    rows = [
        ("说明", "本表由“一门”事项标准库导出，修改后可用“导入标准”重新导入；未改动的事项不会产生新版本。"),
        ("基本编码", "YM-<部门3位>-<类型2位>-<3位序号>，如 YM-GAJ-QR-001。用来对应申请材料和常见问题，不要修改。"),
        ("多项内容", "常用名称、主题、可收件层级、办理流程、送达方式：单元格内每行一项（Alt+Enter 换行），"
                     "也可用“；”分隔。"),
        ("设定依据", f"每行一部法规：《法规名称》第X条；如需附条文，在后面加“{LEGAL_TEXT_SEPARATOR}条文内容”。"),
        ("服务对象", "个人、法人，或“个人,法人”。"),
        ("事项类型", "、".join(elements.ITEM_TYPES)),
        ("主题", "、".join(elements.THEMES)),
        ("层级", tiers + "（决定层级只能是县级或乡镇（街道））"),
        ("网办深度", "、".join(elements.ONLINE_LEVELS)),
        ("送达方式", "、".join(elements.DELIVERY_WAYS)),
        ("是/否", "可赋权园区、材料是否必需：填“是”或“否”。"),
        ("材料形式", "、".join(elements.MATERIAL_FORMS)),
        ("材料来源", "、".join(elements.MATERIAL_SOURCES)),
        ("时限", "法定、承诺办结时限按工作日填整数，0 表示即办件；承诺时限不能超过法定时限。"),
    ]
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


def write_excel(path, records: list[dict] | None = None) -> int:
    records = current_records() if records is None else records
    build_workbook(records).save(path)
    return len(records)


def export(path, records: list[dict] | None = None) -> int:
    """Write JSON or Excel by the file's suffix; returns how many items."""
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return write_json(path, records)
    if suffix == ".xlsx":
        return write_excel(path, records)
    raise ValueError(f"不支持的文件类型“{suffix or '无后缀'}”，请用 .json 或 .xlsx。")
