"""A readable difference between two versions of a standard item.

`diff_versions(old_content, new_content)` lists, element by element in guide
order (elements.LABELS), what changed:

- text elements (conditions, fees, …) carry `segments`: the new text cut into
  equal / inserted / deleted runs, so a page can mark insertions and deletions
  inline (`<ins>`/`<del>` plus words for screen readers, never colour alone);
- list elements (aliases, steps, themes, legal basis, …), materials and FAQ
  carry `rows`: each added, removed or changed entry, with the attributes that
  changed for a material;
- other elements (numbers, yes/no, choices) carry only the old and new value.

Every change also has `old_text` and `new_text`, the whole value as a reader
would see it, for places that show a plain two-column table.
"""
from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass

from .elements import LABELS, MATERIAL_LABELS, TIER_LABELS

LIST_FIELDS = ("aliases", "themes", "accept_tiers", "steps", "delivery")
TEXT_FIELDS = ("name", "conditions", "quantity_limit", "fee", "fee_basis", "fee_waiver", "visit_reason",
               "result", "online_url", "phone", "department")
VALUE_FIELDS = ("type", "target", "decide_tier", "park_delegable", "statutory_days", "promised_days", "visits",
                "online")
OP_LABELS = {"added": "新增", "removed": "删除", "changed": "修改", "moved": "顺序调整"}


@dataclass
class Segment:
    op: str  # "equal" | "insert" | "delete"
    text: str


@dataclass
class RowChange:
    op: str  # "added" | "removed" | "changed" | "moved"
    key: str  # what the row is (a material's name, a question, a list entry)
    old: str = ""
    new: str = ""
    details: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (label, old, new)

    @property
    def op_label(self) -> str:
        return OP_LABELS[self.op]


@dataclass
class FieldChange:
    field: str
    label: str
    kind: str  # "text" | "list" | "materials" | "faq" | "value"
    old: object
    new: object
    # dataclasses.field: a plain `field` would be FieldChange.field, the name above.
    segments: list[Segment] = dataclasses.field(default_factory=list)
    rows: list[RowChange] = dataclasses.field(default_factory=list)

    @property
    def old_text(self) -> str:
        return display(self.field, self.old)

    @property
    def new_text(self) -> str:
        return display(self.field, self.new)

    def summary(self) -> str:
        """One line for logs and lists: '受理条件（修改）'."""
        if self.rows:
            ops = sorted({r.op_label for r in self.rows})
            return f"{self.label}（{'、'.join(ops)}）"
        return f"{self.label}（修改）"


def _tier(value: str) -> str:
    return TIER_LABELS.get(value, value)


def _material_text(m: dict) -> str:
    parts = [m.get("name", ""), "必需" if m.get("required", True) else "非必需", m.get("form", ""),
             f"{m.get('copies', 1)} 份", m.get("source", "")]
    if m.get("note"):
        parts.append(m["note"])
    return "，".join(str(p) for p in parts if p != "")


def _legal_text(entry: dict) -> str:
    text = f"{entry.get('law', '')}{entry.get('article', '')}"
    return f"{text}：{entry['text']}" if entry.get("text") else text


def display(name: str, value) -> str:
    """A value as a reader sees it."""
    if value is None or value == "" or value == []:
        return "（空）"
    if name in ("accept_tiers",):
        return "、".join(_tier(v) for v in value)
    if name == "decide_tier":
        return _tier(value)
    if name == "legal_basis":
        return "；".join(_legal_text(e) for e in value)
    if name == "materials":
        return "；".join(_material_text(m) for m in value)
    if name == "faq":
        return "；".join(f"问：{e.get('q', '')} 答：{e.get('a', '')}" for e in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def text_segments(old: str, new: str) -> list[Segment]:
    """Character-level runs (Chinese has no spaces to cut words at)."""
    old, new = old or "", new or ""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segments: list[Segment] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", old[a1:a2]))
            continue
        if op in ("delete", "replace"):
            segments.append(Segment("delete", old[a1:a2]))
        if op in ("insert", "replace"):
            segments.append(Segment("insert", new[b1:b2]))
    return segments


def _list_rows(name: str, old: list, new: list) -> list[RowChange]:
    show = _tier if name == "accept_tiers" else str
    rows = [RowChange("removed", show(v), old=show(v)) for v in old if v not in new]
    rows += [RowChange("added", show(v), new=show(v)) for v in new if v not in old]
    if not rows and old != new:  # same entries, another order (matters for steps)
        rows.append(RowChange("moved", "顺序", old=" → ".join(map(show, old)), new=" → ".join(map(show, new))))
    return rows


def _keyed_rows(old: list[dict], new: list[dict], key, text, details) -> list[RowChange]:
    old_by = {key(e): e for e in old}
    new_by = {key(e): e for e in new}
    rows = []
    for k, entry in old_by.items():
        if k not in new_by:
            rows.append(RowChange("removed", k, old=text(entry)))
    for k, entry in new_by.items():
        if k not in old_by:
            rows.append(RowChange("added", k, new=text(entry)))
        elif old_by[k] != entry:
            rows.append(RowChange("changed", k, old=text(old_by[k]), new=text(entry),
                                  details=details(old_by[k], entry)))
    if not rows and [key(e) for e in old] != [key(e) for e in new]:
        rows.append(RowChange("moved", "顺序", old="、".join(old_by), new="、".join(new_by)))
    return rows


def _material_details(old: dict, new: dict) -> list[tuple[str, str, str]]:
    found = []
    for name, label in MATERIAL_LABELS.items():
        a, b = old.get(name, ""), new.get(name, "")
        if a != b:
            found.append((label, display(name, a), display(name, b)))
    return found


def _faq_details(old: dict, new: dict) -> list[tuple[str, str, str]]:
    return [("回答", old.get("a", ""), new.get("a", ""))]


def _legal_details(old: dict, new: dict) -> list[tuple[str, str, str]]:
    return [("条文内容", old.get("text", "") or "（空）", new.get("text", "") or "（空）")]


def field_change(name: str, old, new) -> FieldChange | None:
    if old == new:
        return None
    label = LABELS.get(name, name)
    if name == "materials":
        rows = _keyed_rows(old or [], new or [], lambda m: m.get("name", ""), _material_text, _material_details)
        return FieldChange(name, label, "materials", old, new, rows=rows)
    if name == "faq":
        rows = _keyed_rows(old or [], new or [], lambda e: e.get("q", ""),
                           lambda e: f"问：{e.get('q', '')} 答：{e.get('a', '')}", _faq_details)
        return FieldChange(name, label, "faq", old, new, rows=rows)
    if name == "legal_basis":
        rows = _keyed_rows(old or [], new or [], lambda e: f"{e.get('law', '')}{e.get('article', '')}",
                           _legal_text, _legal_details)
        return FieldChange(name, label, "list", old, new, rows=rows)
    if name in VALUE_FIELDS:
        return FieldChange(name, label, "value", old, new)
    if name in LIST_FIELDS or isinstance(old, list) or isinstance(new, list):
        return FieldChange(name, label, "list", old, new, rows=_list_rows(name, list(old or []), list(new or [])))
    if name in TEXT_FIELDS or (isinstance(old, str) and isinstance(new, str)):
        return FieldChange(name, label, "text", old, new, segments=text_segments(str(old or ""), str(new or "")))
    return FieldChange(name, label, "value", old, new)


def diff_versions(old_content: dict, new_content: dict) -> list[FieldChange]:
    """Field-by-field changes from `old_content` to `new_content`, in guide order."""
    old_content, new_content = old_content or {}, new_content or {}
    names = list(LABELS) + sorted((set(old_content) | set(new_content)) - set(LABELS))
    changes = []
    for name in names:
        change = field_change(name, old_content.get(name), new_content.get(name))
        if change is not None:
            changes.append(change)
    return changes
