"""A county network's warning rules: the current version (a default one made on
first use), and a new version from a central admin's form, checked as a whole.

A refused set raises RulesError listing every problem in Chinese, and nothing
is written. An accepted one becomes the next version; the last one stays as it
was (warnings raised under it keep pointing at it).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from tenants.access import is_central_admin_at
from tenants.models import ServicePoint, Tier

from .models import RuleSet

LEGAL_NOTIFY_DAYS = 5  # 行政许可法 第三十二条: Case.notify_by is 5 working days after 收件


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    unit: str
    default: int
    maximum: int


FIELDS = [
    Field("due_yellow_days", "办结期限前几个工作日亮黄牌", "个工作日", 1, 20),
    Field("due_red_overdue_days", "超过办结期限几个工作日亮红牌", "个工作日", 1, 20),
    Field("notify_yellow_days", "补正/不予受理告知期限前几个工作日亮黄牌", "个工作日", 1, 4),
    Field("handoff_yellow_hours", "转办后几个工作小时未接收亮黄牌", "个工作小时", 4, 80),
    Field("handoff_red_hours", "转办后几个工作小时未接收亮红牌", "个工作小时", 8, 160),
]
NAMES = [f.name for f in FIELDS]


class RulesError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def county_of(point: ServicePoint) -> ServicePoint:
    """The county point whose rules hold at `point`."""
    if point.tier == Tier.COUNTY:
        return point
    county = point.ancestors().filter(tier=Tier.COUNTY).first()
    if county is None:
        raise ValueError(f"{point.name} 不属于任何县级服务网络")
    return county


def current(county: ServicePoint) -> RuleSet:
    """The county's rules in force; the defaults as version 1 if it has none yet."""
    found = RuleSet.objects.of_point(county).order_by("-version").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return RuleSet.objects.create(county=county, version=1, note="默认规则（首次使用时自动生成）",
                                          **{f.name: f.default for f in FIELDS})
    except IntegrityError:  # another process made it first
        return RuleSet.objects.of_point(county).order_by("-version").first()


def history(county: ServicePoint):
    return RuleSet.objects.of_point(county).select_related("created_by").order_by("-version")


def check(data) -> dict[str, int]:
    """The values of a whole rule set from a form (strings), or RulesError with every problem."""
    problems: list[str] = []
    values: dict[str, int] = {}
    for field in FIELDS:
        raw = str(data.get(field.name, "") or "").strip()
        if not raw:
            problems.append(f"请填写“{field.label}”。")
            continue
        try:
            value = int(raw)
        except ValueError:
            problems.append(f"“{field.label}”必须是整数（{field.unit}），不能是“{raw[:20]}”。")
            continue
        if value < 1:
            problems.append(f"“{field.label}”必须是正数（至少 1 {field.unit[1:]}），不能是 {value}。")
        elif value > field.maximum:
            problems.append(f"“{field.label}”不能超过 {field.maximum} {field.unit[1:]}。")
        values[field.name] = value
    yellow, red = values.get("handoff_yellow_hours"), values.get("handoff_red_hours")
    if yellow and red and yellow >= 1 and red >= 1 and red <= yellow:
        problems.append(f"转办未接收的黄牌时限（{yellow} 个工作小时）必须短于红牌时限（{red} 个工作小时）："
                        "先亮黄牌，再亮红牌。")
    notify = values.get("notify_yellow_days")
    if notify and notify >= LEGAL_NOTIFY_DAYS:
        problems.append(f"告知期限的黄牌提前天数（{notify}）必须少于法定告知期限 {LEGAL_NOTIFY_DAYS} 个工作日。")
    if problems:
        raise RulesError(problems)
    return values


def publish(by, county: ServicePoint, data, note: str = "") -> RuleSet:
    """A new version of the county's rules from a central admin; the last one is kept."""
    if not is_central_admin_at(by, county):
        raise RulesError([f"只有{county.name}的中心管理员可以修改监察规则。"])
    problems: list[str] = []
    try:
        values = check(data)
    except RulesError as error:
        problems, values = list(error.problems), {}
    note = (note or "").strip()
    if not note:
        problems.append("请填写修订说明（为什么修改规则）。")
    if problems:
        raise RulesError(problems)
    with transaction.atomic():
        last = current(county)
        last = RuleSet.objects.select_for_update().get(pk=last.pk)  # one new version at a time
        if all(getattr(last, name) == value for name, value in values.items()):
            raise RulesError([f"与现行第 {last.version} 版规则相同，没有生成新版本。"])
        try:
            with transaction.atomic():
                return RuleSet.objects.create(county=county, version=last.version + 1, note=note[:300],
                                              created_by=by, **values)
        except IntegrityError:  # someone published a version meanwhile
            raise RulesError(["规则刚刚被另一位管理员修改，请刷新页面核对后再提交。"]) from None
