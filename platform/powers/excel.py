"""Grants as Excel: export a county's grants, import a list of them (counties
grant in lists of over a hundred in one act), and read a park's enterprise list.

Sheet 「赋权」: one row per grant, Chinese headers; list cells (事项编码, 委托环节,
统一社会信用代码, 登记区划代码) hold one entry per line (Alt+Enter) or separated
by "；". Sheet 「填写说明」 lists the rules (the importer ignores it).

An import is all or nothing: every row is checked (the same rules as the form,
through powers.services) and against the other rows of the file; with any
error nothing is written and each error is listed in Chinese by row. What an
import writes are drafts: another central admin activates them (four eyes).
Importing an export of drafts gives the same grants again.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from standards.import_readers import MAX_FILE_BYTES, check_unpacked_size
from standards.import_report import ImportRejected
from tenants.models import ServicePoint, Tier

from . import scope, services
from .errors import GrantError
from .models import ALL_STAGES, OnEnd, PowerGrant, ScopeKind, Stage

SHEET = "赋权"
HELP_SHEET = "填写说明"
MAX_ROWS = 2000
COLUMNS = [
    ("title", "赋权名称"), ("department", "赋权部门"), ("grantee", "承接园区"), ("items", "事项编码"),
    ("stages", "委托环节"), ("scope_kind", "适用范围"), ("credit_codes", "统一社会信用代码"),
    ("region_codes", "登记区划代码"), ("instrument_number", "委托书文号"), ("instrument_date", "委托书日期"),
    ("notice_url", "公告网址"), ("seal_name", "审批专用章名称"), ("valid_from", "生效日期"),
    ("valid_to", "截止日期"), ("on_end", "终止时在办件"), ("confirm_by_county", "县级部门见章盖章"),
    ("status", "状态"),
]
LABELS = dict(COLUMNS)
KEYS = {label: key for key, label in COLUMNS}
REQUIRED = ("department", "grantee", "items", "stages", "instrument_number", "instrument_date", "seal_name",
            "valid_from", "valid_to")
SCOPE_WORDS = {"园区企业名单": ScopeKind.ENTERPRISES, "企业名单": ScopeKind.ENTERPRISES,
               "园区登记区划": ScopeKind.REGIONS, "登记区划": ScopeKind.REGIONS}
ON_END_WORDS = {label: value for value, label in OnEnd.choices} | {"在园区办结": OnEnd.FINISH, "办结": OnEnd.FINISH,
                                                                   "退回县级部门": OnEnd.RETURN, "退回": OnEnd.RETURN}
SPLIT = re.compile(r"[\n；;，,、\s]+")
WIDTHS = {"title": 24, "items": 18, "credit_codes": 22, "notice_url": 28, "seal_name": 26, "instrument_number": 20}


# --- export ---------------------------------------------------------------------

def _stage_cell(stages: list[str]) -> str:
    return "全部" if set(stages) == set(ALL_STAGES) else "\n".join(Stage(s).label for s in ALL_STAGES if s in stages)


def export_grants(grants) -> bytes:
    """The grants as an .xlsx the importer reads back."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for grant in grants.select_related("grantee").prefetch_related("items").order_by("pk"):
        sheet.append([
            grant.title, grant.department, grant.grantee.name,
            "\n".join(sorted(i.code for i in grant.items.all())), _stage_cell(grant.stages),
            "园区企业名单" if grant.scope_kind == ScopeKind.ENTERPRISES else "园区登记区划",
            "\n".join(grant.credit_codes), "\n".join(grant.region_codes), grant.instrument_number,
            grant.instrument_date, grant.notice_url, grant.seal_name, grant.valid_from, grant.valid_to,
            grant.get_on_end_display(), "是" if grant.confirm_by_county else "否", grant.get_status_display(),
        ])
    for n, (key, _) in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(n)].width = WIDTHS.get(key, 14)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    help_sheet = book.create_sheet(HELP_SHEET)
    for line in HELP:
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HELP = [
    "每行一项赋权；导入后为草稿，须由另一位中心管理员批准生效（四眼原则）。",
    "必填：赋权部门、承接园区（名称或标识）、事项编码、委托环节、委托书文号和日期、审批专用章名称、生效日期、截止日期。",
    "事项编码、统一社会信用代码、登记区划代码：每行一个（Alt+Enter 换行），也可用“；”分隔。",
    "委托环节：受理、审查、决定，或“全部”。未委托“决定”的，县级部门见章盖章须填“是”。",
    "适用范围：园区企业名单（填统一社会信用代码）或园区登记区划（填 6 位登记区划代码）。",
    "终止时在办件：在园区办结，或退回县级部门办理。日期格式：2026-12-31。",
    "只能赋权标准中标明“可赋权园区”的事项；同一事项、同一企业、有效期重叠的赋权不能并存。",
    "导入时整份文件一起检查：有任何错误则全部不导入，并逐行列出错误。“状态”列仅供查看，导入时忽略。",
]


# --- import ---------------------------------------------------------------------

@dataclass
class ImportResult:
    grants: list[PowerGrant] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _list(value) -> list[str]:
    return [part for part in SPLIT.split(_text(value)) if part]


def _date(value, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if not m:
        raise GrantError(f"“{label}”应为日期，例如 2026-12-31（收到“{text}”）。")
    y, mo, d = [int(x) for x in (m.groups()[:3] if m.group(1) else m.groups()[3:])]
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise GrantError(f"“{label}”不是有效日期：{text}。") from None


def _park(value, county: ServicePoint) -> ServicePoint:
    text = _text(value)
    parks = ServicePoint.objects.filter(parent=county, tier=Tier.PARK)
    found = parks.filter(name=text).first() or parks.filter(slug=text).first()
    if found is None:
        raise GrantError(f"承接园区“{text}”不是{county.name}下的园区服务点。")
    return found


def _spec(raw: dict, county: ServicePoint) -> services.GrantSpec:
    missing = [LABELS[key] for key in REQUIRED if not _text(raw.get(key))]
    if missing:
        raise GrantError(f"缺少必填项：{'、'.join(missing)}。")
    kind_text = _text(raw.get("scope_kind"))
    kind = SCOPE_WORDS.get(kind_text, kind_text) if kind_text else (
        ScopeKind.REGIONS if _text(raw.get("region_codes")) and not _text(raw.get("credit_codes"))
        else ScopeKind.ENTERPRISES)
    if kind not in ScopeKind.values:
        raise GrantError(f"适用范围“{kind_text}”不正确，应为园区企业名单或园区登记区划。")
    on_end_text = _text(raw.get("on_end"))
    on_end = ON_END_WORDS.get(on_end_text, on_end_text) if on_end_text else OnEnd.FINISH
    if on_end not in OnEnd.values:
        raise GrantError(f"终止时在办件“{on_end_text}”不正确，应为在园区办结或退回县级部门办理。")
    confirm = _text(raw.get("confirm_by_county"))
    if confirm not in ("", "是", "否"):
        raise GrantError(f"县级部门见章盖章应填“是”或“否”（收到“{confirm}”）。")
    return services.GrantSpec(
        title=_text(raw.get("title")), department=_text(raw.get("department")), grantee=_park(raw["grantee"], county),
        item_codes=_list(raw.get("items")), stages=_list(raw.get("stages")), scope_kind=kind,
        credit_codes=_list(raw.get("credit_codes")), region_codes=_list(raw.get("region_codes")),
        instrument_number=_text(raw.get("instrument_number")),
        instrument_date=_date(raw.get("instrument_date"), LABELS["instrument_date"]),
        notice_url=_text(raw.get("notice_url")), seal_name=_text(raw.get("seal_name")),
        valid_from=_date(raw.get("valid_from"), LABELS["valid_from"]),
        valid_to=_date(raw.get("valid_to"), LABELS["valid_to"]), on_end=on_end, confirm_by_county=confirm == "是",
    )


def _open(data: bytes):
    if len(data) > MAX_FILE_BYTES:
        raise GrantError(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请分成几个文件导入。")
    try:
        check_unpacked_size(io.BytesIO(data))
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportRejected as rejected:
        problem = rejected.report.problems[0].message if rejected.report.problems else ""
        raise GrantError(problem if problem and "不是有效的 Excel" not in problem
                         else "不是有效的 Excel 文件（.xlsx），请用导出的模板填写。") from None
    except Exception:
        raise GrantError("不是有效的 Excel 文件（.xlsx），请用导出的模板填写。") from None


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """(sheet row number, {key: value}) of the 「赋权」 sheet."""
    book = _open(data)
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(v) for v in next(rows, ())]
    unknown = [t for t in header if t and t not in KEYS]
    if unknown or "items" not in {KEYS.get(t) for t in header}:
        raise GrantError(f"「{SHEET}」表的列名不正确：{'、'.join(unknown) or '缺少“事项编码”列'}。请用导出的模板填写。")
    out = []
    for number, values in enumerate(rows, 2):
        if number > MAX_ROWS + 1:
            raise GrantError(f"超过 {MAX_ROWS} 行，请分成几个文件导入。")
        raw = {KEYS[t]: v for t, v in zip(header, values, strict=False) if t}
        if any(_text(v) for k, v in raw.items() if k != "status"):
            out.append((number, raw))
    book.close()
    return out


def _overlaps_in_file(specs: list[tuple[int, services.GrantSpec]]) -> list[str]:
    """Two rows of the same file that would overlap each other (the database knows neither yet)."""
    errors = []
    by_item: dict[str, list[tuple[int, services.GrantSpec]]] = {}
    for number, spec in specs:
        for code in set(spec.item_codes):
            by_item.setdefault(code, []).append((number, spec))
    seen = set()
    for code, rows in by_item.items():
        for i, (n1, a) in enumerate(rows):
            for n2, b in rows[i + 1:]:
                if (n1, n2) in seen or a.valid_from > b.valid_to or b.valid_from > a.valid_to:
                    continue
                a_codes = a.credit_codes if a.scope_kind == ScopeKind.ENTERPRISES else []
                b_codes = b.credit_codes if b.scope_kind == ScopeKind.ENTERPRISES else []
                a_regions = a.region_codes if a.scope_kind == ScopeKind.REGIONS else []
                b_regions = b.region_codes if b.scope_kind == ScopeKind.REGIONS else []
                shared = scope.overlap(a_codes, a_regions, b_codes, b_regions)
                if shared:
                    seen.add((n1, n2))
                    errors.append(f"第 {n2} 行：与第 {n1} 行重叠（事项 {code}，{shared}，有效期重叠）。")
    return errors


class _Rollback(Exception):
    pass


def import_grants(user, county: ServicePoint, data: bytes) -> ImportResult:
    """Draft every grant of the file, or none: ImportResult.errors lists each problem by row."""
    result = ImportResult()
    try:
        rows = read_rows(data)
    except GrantError as error:
        result.errors.append(str(error))
        return result
    if not rows:
        result.errors.append("文件中没有赋权行。")
        return result
    specs = []
    for number, raw in rows:
        try:
            specs.append((number, _spec(raw, county)))
        except GrantError as error:
            result.errors.append(f"第 {number} 行：{error}")
    result.errors.extend(_overlaps_in_file(specs))
    try:
        with transaction.atomic():
            for number, spec in specs:
                try:
                    with transaction.atomic():
                        result.grants.append(services.draft(user, county, spec))
                except GrantError as error:
                    result.errors.append(f"第 {number} 行：{error}")
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.grants = []
    result.errors.sort(key=_row_number)
    return result


def _row_number(message: str) -> int:
    m = re.match(r"第 (\d+) 行", message)
    return int(m.group(1)) if m else 0


def read_credit_codes(data: bytes) -> list[str]:
    """A park's enterprise list from Excel: every cell of the first sheet that looks like a
    credit code (18 characters starting with a digit or letter); each checked by its check
    character (GrantError naming the wrong ones)."""
    book = _open(data)
    sheet = book.worksheets[0]
    found = []
    for values in sheet.iter_rows(values_only=True):
        for value in values:
            text = _text(value).upper().replace(" ", "")
            if len(text) == 18 and text[:2].isalnum() and not text.startswith("统一"):
                found.append(text)
    book.close()
    if not found:
        raise GrantError("Excel 中没有找到统一社会信用代码（18 位）。")
    return scope.clean_credit_codes(found)
