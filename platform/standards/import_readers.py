"""Read a catalogue's JSON or the exporter's Excel into rows of raw records.

Files are read within limits (size, rows, cells, uncompressed size of an Excel
workbook, checked before it is opened) so that a crafted file cannot exhaust
the server. A file that cannot be read raises ImportRejected with its problems.

    rows = read_file("items.xlsx")  # [Row(number, raw record), ...]
"""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import elements, exporting
from .import_report import ImportRejected, ImportReport, Problem, rejected_file


@dataclass
class Row:
    number: int  # as the file's reader counts it (JSON: record n; Excel: sheet row)
    raw: dict
    where: str = "第 {n} 条"  # how the row is named in messages
    # Excel: which sheet row each material / FAQ entry came from.
    material_rows: list[int] = field(default_factory=list)
    faq_rows: list[int] = field(default_factory=list)

    @property
    def code(self) -> str:
        value = self.raw.get("code") if isinstance(self.raw, dict) else None
        return str(value).strip() if value else ""


# Limits for reading a file (a county's catalogue is 0.1 MB and 224 + 837 rows
# in Excel, a prefecture's about ten times that).
MAX_FILE_BYTES = 5 * 1024 * 1024  # an upload in the admin
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # an Excel file's parts once unzipped
MAX_PARTS = 200  # files inside the Excel zip
MAX_ROWS = 50_000  # rows of a sheet, records of a JSON file
MAX_COLUMNS = 64
MAX_CELLS = 1_000_000  # filled cells of a workbook


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def check_unpacked_size(data) -> None:
    """Refuse an Excel file (a zip) whose parts would unpack past the limit,
    from its zip directory, before anything is decompressed: a zip bomb of a
    few kilobytes must not become gigabytes of XML. (Python's zipfile never
    inflates a part past the size the directory declares.)"""
    try:
        with zipfile.ZipFile(data) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise rejected_file(f"不是有效的 Excel 文件（.xlsx）：{exc}") from None
    finally:
        if hasattr(data, "seek"):
            data.seek(0)
    if len(parts) > MAX_PARTS:
        raise rejected_file(f"Excel 文件内含 {len(parts)} 个部件，超过上限 {MAX_PARTS} 个，未读取。")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise rejected_file(f"Excel 文件解压后有 {_mb(unpacked)} MB，超过上限 {_mb(MAX_UNPACKED_BYTES)} MB，未读取；"
                             "请分成几个文件导入。")


def read_json(data: bytes | str) -> list[Row]:
    try:
        records = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise rejected_file(f"不是有效的 JSON：{exc}") from None
    if not isinstance(records, list):
        raise rejected_file("应为事项记录的数组（[...]）。")
    if len(records) > MAX_ROWS:
        raise rejected_file(f"有 {len(records)} 条记录，超过上限 {MAX_ROWS} 条；请分成几个文件导入。")
    return [Row(n, r) for n, r in enumerate(records, 1)]


_LABEL_TO_KEY = {label: key for key, label in elements.LABELS.items()}
_MATERIAL_LABEL_TO_KEY = {label: key for key, label in elements.MATERIAL_LABELS.items()}
_TIER_BY_LABEL = {label: key for key, label in elements.TIER_LABELS.items()}
_SPLIT = re.compile(r"[\n；;]")


def _cell(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _header(sheet, known: dict[str, str], sheet_name: str, problems: list[Problem]) -> dict[int, str]:
    """Column index → element key, from Chinese labels (or the keys themselves)."""
    columns = {}
    first = next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    for n, title in enumerate(first):
        title = str(title).strip() if title is not None else ""
        if not title:
            continue
        key = known.get(title) or (title if title in known.values() else None)
        if key is None:
            problems.append(Problem(1, "", "file", f"「{sheet_name}」表第 {n + 1} 列“{title}”不是可识别的列名。",
                                    where="「" + sheet_name + "」表第 {n} 行"))
        else:
            columns[n] = key
    return columns


class _Budget:
    """Filled cells still allowed in this workbook."""

    def __init__(self):
        self.cells = MAX_CELLS

    def spend(self, values) -> None:
        self.cells -= sum(1 for v in values if v is not None)
        if self.cells < 0:
            raise rejected_file(f"工作簿中填写的单元格超过 {MAX_CELLS} 个，未导入；请分成几个文件导入。")


def _check_size(sheet, sheet_name: str) -> None:
    """The sheet's declared size (its dimension), before any row is read: a
    forged "A1:XFD1048576" would make the reader pad a million empty rows."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > MAX_ROWS + 1:
        raise rejected_file(f"「{sheet_name}」表有 {rows} 行，超过上限 {MAX_ROWS} 行；请分成几个文件导入。")
    if columns > MAX_COLUMNS:
        raise rejected_file(f"「{sheet_name}」表有 {columns} 列，超过上限 {MAX_COLUMNS} 列。")


def _rows(sheet, columns: dict[int, str], budget: _Budget):
    # Counted while streaming too, for sheets that declare no dimension.
    rows = sheet.iter_rows(min_row=2, max_col=MAX_COLUMNS, values_only=True)
    for number, values in enumerate(rows, 2):
        if number > MAX_ROWS + 1:
            raise rejected_file(f"「{sheet.title}」表超过上限 {MAX_ROWS} 行；请分成几个文件导入。")
        budget.spend(values)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        yield number, {key: _cell(values[n]) if n < len(values) else None for n, key in columns.items()}


def _split(value) -> list[str]:
    if value is None or value == "":
        return []
    return [v.strip() for v in _SPLIT.split(str(value)) if v.strip()]


def _legal(value) -> list[dict]:
    entries = []
    for line in str(value or "").split("\n"):
        law, _, text = line.partition(exporting.LEGAL_TEXT_SEPARATOR)
        found = elements.parse_legal_basis(law.strip())
        if found and text.strip():
            found[-1]["text"] = text.strip()
        entries += found
    return entries


def _item_from_cells(cells: dict) -> dict:
    raw: dict[str, Any] = {}
    for key, value in cells.items():
        if key in ("accept_tiers",):
            raw[key] = [_TIER_BY_LABEL.get(v, v) for v in _split(value)]
        elif key == "decide_tier":
            raw[key] = _TIER_BY_LABEL.get(value, value) if value is not None else ""
        elif key in exporting.LIST_COLUMNS:
            raw[key] = _split(value)
        elif key == "legal_basis":
            raw[key] = _legal(value)
        else:
            raw[key] = _scalar(key, value)
    return raw


_NUMBERS = ("statutory_days", "promised_days", "visits", "copies")
_YES_NO = ("park_delegable", "required")


def _scalar(key: str, value):
    """A cell as normalize expects it: numbers and yes/no as typed, everything else as text."""
    if value is None:
        return ""
    if key in _NUMBERS or key in _YES_NO:
        return value
    return str(value)


def read_excel(data) -> list[Row]:
    """Rows of a workbook, read in openpyxl's streaming (read-only) mode within
    the limits above; openpyxl parses its XML through defusedxml."""
    import openpyxl.xml
    from openpyxl import load_workbook

    if not openpyxl.xml.DEFUSEDXML:  # entity expansion and external entities would be open
        raise rejected_file("服务器未启用安全的 XML 解析（defusedxml），暂不能读取 Excel 文件；请联系运维人员。")
    check_unpacked_size(data)
    try:
        book = load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise rejected_file(f"不是有效的 Excel 文件（.xlsx）：{exc}") from None
    try:
        return _read_book(book)
    except (ValueError, SyntaxError) as exc:  # XML that is malformed or that defusedxml refuses (entities)
        raise rejected_file(f"Excel 文件的内容无法读取：{type(exc).__name__}") from None
    finally:
        book.close()


def _read_book(book) -> list[Row]:
    problems: list[Problem] = []
    budget = _Budget()
    if exporting.ITEMS_SHEET not in book.sheetnames:
        problems.append(Problem(None, "", "file", f"缺少「{exporting.ITEMS_SHEET}」工作表。"))
        raise ImportRejected(ImportReport(problems=problems))
    where_item = "「" + exporting.ITEMS_SHEET + "」表第 {n} 行"
    sheet = book[exporting.ITEMS_SHEET]
    _check_size(sheet, exporting.ITEMS_SHEET)
    columns = _header(sheet, _LABEL_TO_KEY, exporting.ITEMS_SHEET, problems)
    missing = [elements.LABELS[k] for k in ("code", "name") if k not in columns.values()]
    if missing:
        problems.append(Problem(None, "", "file", f"「{exporting.ITEMS_SHEET}」表缺少列：{'、'.join(missing)}。"))
    rows: list[Row] = []
    by_code: dict[str, Row] = {}
    for number, cells in _rows(sheet, columns, budget):
        row = Row(number, _item_from_cells(cells), where=where_item)
        row.raw.setdefault("materials", [])
        row.raw.setdefault("faq", [])
        rows.append(row)
        by_code.setdefault(row.code, row)

    def attach(sheet_name, known, target, index_attr, convert):
        if sheet_name not in book.sheetnames:
            return
        where = "「" + sheet_name + "」表第 {n} 行"
        sub = book[sheet_name]
        _check_size(sub, sheet_name)
        sub_columns = _header(sub, known, sheet_name, problems)
        for number, cells in _rows(sub, sub_columns, budget):
            code = str(cells.pop("code", "") or "").strip()
            owner = by_code.get(code)
            if owner is None:
                problems.append(Problem(number, code, target, f"基本编码“{code}”在「{exporting.ITEMS_SHEET}」表中没有。"
                                        if code else "缺少基本编码。", where=where))
                continue
            owner.raw[target].append(convert(cells))
            getattr(owner, index_attr).append(number)

    attach(exporting.MATERIALS_SHEET, {"基本编码": "code", **_MATERIAL_LABEL_TO_KEY}, "materials", "material_rows",
           lambda cells: {k: _scalar(k, v) for k, v in cells.items()})
    attach(exporting.FAQ_SHEET, {v: k for k, v in exporting.FAQ_LABELS.items()}, "faq", "faq_rows",
           lambda cells: {k: _scalar(k, v) for k, v in cells.items()})
    if problems:
        raise ImportRejected(ImportReport(total=len(rows), problems=problems))
    return rows


def read_file(path_or_file, name: str | None = None) -> list[Row]:
    """Rows of a .json or .xlsx file (a path, or an open binary file with its name)."""
    name = name or str(path_or_file)
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        if hasattr(path_or_file, "read"):
            return read_json(path_or_file.read())
        return read_json(Path(path_or_file).read_bytes())
    if suffix in (".xlsx", ".xlsm"):
        return read_excel(path_or_file)
    raise rejected_file(f"不支持的文件类型“{suffix or '无后缀'}”，请用 .json 或 .xlsx。")
