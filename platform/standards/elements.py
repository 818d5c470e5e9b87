"""The elements of a 办事指南 as one standard version holds them, and their checks.

A version's `content` is a plain dict in the format of the demo catalogue
(`standards/demo_data/standard_items.json`) with optional extra elements the
catalogue does not carry (quantity limits, fee basis and waivers, the reason a
visit is needed, the online address, FAQ, form and sample attachments).
`normalize` turns one raw record into that dict and reports every problem by
field, in Chinese, so importers and admin forms share one set of rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

CODE_RE = re.compile(r"^YM-[A-Z]{3}-[A-Z]{2}-\d{3}$")

ITEM_TYPES = ("行政许可", "行政确认", "行政给付", "公共服务", "其他行政权力", "行政裁决", "行政奖励", "行政征收")
TARGETS = ("个人", "法人")
TIERS = ("county", "township", "village", "park")
TIER_LABELS = {"county": "县级", "township": "乡镇（街道）", "village": "村（社区）", "park": "园区"}
DECIDE_TIERS = ("county", "township")
ONLINE_LEVELS = ("全程网办", "网上预审", "不支持网办")
DELIVERY_WAYS = ("窗口领取", "免费邮寄", "电子送达")
MATERIAL_FORMS = ("原件", "复印件", "原件和复印件", "电子")
MATERIAL_SOURCES = ("申请人提供", "电子证照库", "部门共享", "窗口现场生成")

# Themes (life events for people, stages for enterprises), in display order.
PERSON_THEMES = ("生育收养", "户籍办理", "婚姻登记", "教育", "就业创业", "社会保障", "医疗卫生", "退休养老",
                 "住房", "不动产", "交通出行", "残疾人服务", "救助帮扶", "殡葬", "退役军人", "证件办理")
ENTERPRISE_THEMES = ("企业开办", "准营准办", "工程建设", "税费办理", "变更注销", "农业生产", "环保",
                     "文化旅游", "安全生产")
THEMES = PERSON_THEMES + ENTERPRISE_THEMES

# Element → label, in the order a guide shows them. Used by forms, diffs and exports.
LABELS = {
    "code": "基本编码", "name": "事项名称", "aliases": "常用名称", "type": "事项类型",
    "department": "实施部门", "target": "服务对象", "themes": "主题",
    "accept_tiers": "可收件层级", "decide_tier": "决定层级", "park_delegable": "可赋权园区",
    "legal_basis": "设定依据", "conditions": "受理条件", "quantity_limit": "数量限制",
    "materials": "申请材料", "steps": "办理流程", "statutory_days": "法定办结时限（工作日）",
    "promised_days": "承诺办结时限（工作日）", "fee": "收费标准", "fee_basis": "收费依据",
    "fee_waiver": "减免政策", "visits": "到现场次数", "visit_reason": "需到现场的原因",
    "online": "网办深度", "online_url": "网上办理地址", "delivery": "送达方式", "result": "办理结果",
    "faq": "常见问题", "phone": "咨询电话",
}
MATERIAL_LABELS = {"name": "材料名称", "required": "是否必需", "form": "材料形式", "copies": "份数",
                   "source": "来源", "note": "说明", "tolerable": "可容缺", "blank_form_url": "空白表格",
                   "sample_url": "示例样表"}
LEGAL_RE = re.compile(r"(《[^》]+》)\s*([^；;《]*)")


class ContentError(Exception):
    """Problems of one record: {field: [message, ...]}."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("；".join(f"{LABELS.get(k, k)}：{'，'.join(v)}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Badge:
    key: str
    label: str


def badges(content: dict) -> list[Badge]:
    """The badges a citizen sees beside an item."""
    found = []
    if content.get("visits", 9) <= 1:
        found.append(Badge("visits", "最多跑一次" if content.get("visits") else "零跑腿"))
    if content.get("online") == "全程网办":
        found.append(Badge("online", "全程网办"))
    if content.get("promised_days") == 0:
        found.append(Badge("instant", "即办"))
    return found


def kind(content: dict) -> str:
    return "即办件" if content.get("promised_days") == 0 else "承诺件"


def targets(content: dict) -> list[str]:
    return [t for t in str(content.get("target", "")).split(",") if t]


def visit_reason(content: dict) -> str:
    """Why a citizen must come in person, from the record or else from its facts."""
    if not content.get("visits"):
        return ""
    if content.get("visit_reason"):
        return content["visit_reason"]
    reasons = []
    if any(m["form"] in ("原件", "原件和复印件") for m in content.get("materials", [])):
        reasons.append("到窗口核验纸质原件")
    if "现场勘察" in content.get("steps", []):
        reasons.append("配合现场勘察")
    if content.get("delivery") and set(content["delivery"]) <= {"窗口领取"}:
        reasons.append("到窗口领取办理结果")
    return "、".join(reasons) or "到窗口当面提交申请"


def parse_legal_basis(value) -> list[dict]:
    """'《条例》第七条；《办法》第三条' → [{law, article, text}]; lists pass through."""
    if isinstance(value, list):
        return [{"law": str(v.get("law", "")).strip(), "article": str(v.get("article", "")).strip(),
                 "text": str(v.get("text", "")).strip()} for v in value if isinstance(v, dict)]
    found = [{"law": law, "article": article.strip(" ，,"), "text": ""}
             for law, article in LEGAL_RE.findall(str(value or ""))]
    if not found and str(value or "").strip():
        found = [{"law": str(value).strip(), "article": "", "text": ""}]
    return found


def legal_basis_text(entries: list[dict]) -> str:
    return "；".join(f"{e['law']}{e['article']}" for e in entries)


def _text(raw, key, err, *, required=True, max_len=2000) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        err(key, "应为文字。")
        return ""
    value = value.strip()
    if required and not value:
        err(key, "不能为空。")
    elif len(value) > max_len:
        err(key, f"不能超过 {max_len} 个字（现有 {len(value)} 个）。")
    return value


_URL_SCHEMES = ("http", "https")


def _url(raw, key, err, *, max_len=500) -> str:
    """An optional web address. Only http(s): the address becomes a link on the
    guide of every adopting point, and a "javascript:" or "data:" link there
    would run in the citizen's browser on that point's own host."""
    value = _text(raw, key, err, required=False, max_len=max_len)
    if not value:
        return value
    try:
        URLValidator(schemes=_URL_SCHEMES)(value)
    except ValidationError:
        err(key, f"“{value[:80]}”不是有效的网址：只能填写以 http:// 或 https:// 开头的完整网址。")
    return value


def _texts(raw, key, err, *, required=False, allowed=None) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [v for v in re.split(r"[\n,，、；;]", value)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        err(key, "应为文字列表。")
        return []
    value = [v.strip() for v in value if v.strip()]
    if required and not value:
        err(key, "至少填写一项。")
    if allowed:
        bad = [v for v in value if v not in allowed]
        if bad:
            err(key, f"“{'、'.join(bad)}”不是可选值（可选：{'、'.join(allowed)}）。")
    return list(dict.fromkeys(value))  # keep order, drop repeats


def _int(raw, key, err, *, low=0, high=3650, default=None) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or value is None or value == "":
        if default is not None:
            return default
        err(key, "不能为空。")
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        err(key, f"应为整数，收到“{value}”。")
        return 0
    if not low <= number <= high:
        err(key, f"应在 {low} 到 {high} 之间，收到 {number}。")
    return number


def _bool(raw, key, err, default=False) -> bool:
    value = raw.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "是", "yes", "y"):
        return True
    if text in ("0", "false", "否", "no", "n", ""):
        return False
    err(key, f"应为“是”或“否”，收到“{value}”。")
    return False


def _choice(raw, key, err, choices, labels=None) -> str:
    value = _text(raw, key, err)
    if value and value not in choices:
        shown = [labels.get(c, c) for c in choices] if labels else choices
        err(key, f"“{value}”不是可选值（可选：{'、'.join(shown)}）。")
    return value


def _materials(raw, err) -> list[dict]:
    value = raw.get("materials", [])
    if not isinstance(value, list):
        err("materials", "应为材料列表。")
        return []
    materials = []
    for n, m in enumerate(value, start=1):
        if not isinstance(m, dict):
            err("materials", f"第 {n} 项应为一条材料记录。")
            continue

        def merr(key, message, n=n):
            err("materials", f"第 {n} 项{MATERIAL_LABELS.get(key, key)}{message}")

        item: dict[str, Any] = {
            "name": _text(m, "name", merr, max_len=200),
            "required": _bool(m, "required", merr, default=True),
            "form": _choice(m, "form", merr, MATERIAL_FORMS),
            "copies": _int(m, "copies", merr, low=0, high=99, default=1),
            "source": _choice(m, "source", merr, MATERIAL_SOURCES),
            "note": _text(m, "note", merr, required=False, max_len=500),
            "blank_form_url": _url(m, "blank_form_url", merr),
            "sample_url": _url(m, "sample_url", merr),
        }
        # 容缺受理: a non-key material the applicant may promise to bring later.
        # Kept only when set, so versions published before the element existed diff as unchanged.
        if _bool(m, "tolerable", merr, default=False):
            if not item["required"]:
                merr("tolerable", "只适用于必需材料。")
            item["tolerable"] = True
        materials.append(item)
    names = [m["name"] for m in materials]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        err("materials", f"材料名称重复：{'、'.join(repeated)}。")
    return materials


def _faq(raw, err) -> list[dict]:
    value = raw.get("faq", [])
    if not isinstance(value, list):
        err("faq", "应为问答列表。")
        return []
    faq = []
    for n, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or not str(entry.get("q", "")).strip() or not str(entry.get("a", "")).strip():
            err("faq", f"第 {n} 条应同时有问题（q）和回答（a）。")
            continue
        faq.append({"q": str(entry["q"]).strip(), "a": str(entry["a"]).strip()})
    return faq


def normalize(raw: dict) -> dict:
    """One record in, a clean content dict out; ContentError lists every problem."""
    problems: dict[str, list[str]] = {}

    def err(key, message):
        problems.setdefault(key, []).append(message)

    if not isinstance(raw, dict):
        raise ContentError({"record": ["应为一条事项记录（对象）。"]})
    code = _text(raw, "code", err, max_len=32)
    if code and not CODE_RE.match(code):
        err("code", f"“{code}”格式不对，应为 YM-<部门3位>-<类型2位>-<3位序号>，如 YM-GAJ-QR-001。")
    target = raw.get("target", "")
    target_list = _texts({"target": target}, "target", err, required=True, allowed=TARGETS)
    content: dict[str, Any] = {
        "code": code,
        "name": _text(raw, "name", err, max_len=100),
        "aliases": _texts(raw, "aliases", err),
        "type": _choice(raw, "type", err, ITEM_TYPES),
        "department": _text(raw, "department", err, max_len=50),
        "themes": _texts(raw, "themes", err, required=True, allowed=THEMES),
        "target": ",".join(t for t in TARGETS if t in target_list),
        "accept_tiers": _texts(raw, "accept_tiers", err, required=True, allowed=TIERS),
        "decide_tier": _choice(raw, "decide_tier", err, DECIDE_TIERS, TIER_LABELS),
        "park_delegable": _bool(raw, "park_delegable", err),
        "legal_basis": parse_legal_basis(raw.get("legal_basis")),
        "conditions": _text(raw, "conditions", err),
        "quantity_limit": _text(raw, "quantity_limit", err, required=False, max_len=500),
        "materials": _materials(raw, err),
        "steps": _texts(raw, "steps", err, required=True),
        "statutory_days": _int(raw, "statutory_days", err),
        "promised_days": _int(raw, "promised_days", err),
        "fee": _text(raw, "fee", err, max_len=500),
        "fee_basis": _text(raw, "fee_basis", err, required=False, max_len=500),
        "fee_waiver": _text(raw, "fee_waiver", err, required=False, max_len=500),
        "visits": _int(raw, "visits", err, high=9),
        "visit_reason": _text(raw, "visit_reason", err, required=False, max_len=500),
        "online": _choice(raw, "online", err, ONLINE_LEVELS),
        "online_url": _url(raw, "online_url", err),
        "delivery": _texts(raw, "delivery", err, required=True, allowed=DELIVERY_WAYS),
        "result": _text(raw, "result", err, required=False, max_len=200),
        "faq": _faq(raw, err),
        "phone": _text(raw, "phone", err, required=False, max_len=40),
    }
    if not content["legal_basis"]:
        err("legal_basis", "不能为空。")
    if content["promised_days"] > content["statutory_days"] and "promised_days" not in problems:
        err("promised_days", f"承诺时限 {content['promised_days']} 个工作日不能超过法定时限 "
                             f"{content['statutory_days']} 个工作日。")
    if content["visits"] == 0:
        if content["online"] and content["online"] != "全程网办":
            err("visits", "到现场 0 次的事项必须是“全程网办”。")
        if "窗口领取" in content["delivery"]:
            err("delivery", "到现场 0 次的事项，送达方式不能含“窗口领取”。")
    if content["park_delegable"] and "park" not in content["accept_tiers"]:
        err("accept_tiers", "可赋权园区的事项应把“park”（园区）列入可收件层级。")
    if content["decide_tier"] == "township" and "township" not in content["accept_tiers"]:
        err("accept_tiers", "由乡镇决定的事项，乡镇应在可收件层级中。")
    if problems:
        raise ContentError(problems)
    return content


def to_record(content: dict) -> dict:
    """Content back to the catalogue format (legal basis as one line when it has no text)."""
    record = dict(content)
    if all(not e.get("text") for e in content["legal_basis"]):
        record["legal_basis"] = legal_basis_text(content["legal_basis"])
    return record
