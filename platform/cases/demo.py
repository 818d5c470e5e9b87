"""Demo cases: a few dozen cases in every status at every tier of the demo
network, played through cases.services over the past working days (with
cases.clock), so every event, handoff, notice and hash is what the product
itself writes. Fictional people; ID numbers are well-formed and made up.

Loaded by ops' load_demo_network after the points; skipped once the demo has cases.
"""
from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from stdnum.cn import ric

from standards.models import Adoption
from tenants import roles
from tenants.models import Role, ServicePoint, Tier

from . import clock, results, services, workdays
from .models import Case, DeskAssignment
from .services import Actor, Applicant, Intake, MaterialCheck

TZ = ZoneInfo("Asia/Shanghai")
# The demo's server (README): the QR codes on electronic results point at its network host.
DEMO_ROOT = f"http://{settings.BASE_DOMAIN}:8000"
# Desk staff of the county's departments (分类审批): username, department, full name.
DESKS = [("yunxi-mzj", "民政局", "民政局窗口 周敏"), ("yunxi-gaj", "公安局", "公安局窗口 陈刚"),
         ("yunxi-clh", "残疾人联合会", "残联窗口 刘芳")]
# Items citizens bring to villages and townships: decided by the county, or by the township.
VILLAGE_ITEMS = ["YM-MZJ-GG-002", "YM-GAJ-GG-002", "YM-CLH-GG-001", "YM-MZJ-JF-003", "YM-MZJ-JF-001"]
COUNTY_ITEMS = ["YM-MZJ-GG-002", "YM-GAJ-GG-002", "YM-CLH-GG-001", "YM-MZJ-JF-004"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂兰", "建国", "志强", "海燕", "明", "丽华", "德胜", "玉梅", "国庆", "春生", "红霞", "小军", "淑珍"]
# Where each story stops: the steps after intake, in order.
STORIES = [
    ("received", []),
    ("handed up once", ["up"]),
    ("at the decider", ["up", "up"]),
    ("returned", ["up", "return"]),
    ("supplement", ["supplement"]),
    ("accepted", ["up", "up", "accept"]),
    ("tolerance", ["up", "up", "accept_tolerance"]),
    ("review", ["up", "up", "accept", "review"]),
    ("special", ["up", "up", "accept", "review", "special"]),
    ("decided", ["up", "up", "accept", "review", "decide"]),
    ("delivered", ["up", "up", "accept", "review", "decide", "deliver"]),
    ("closed", ["up", "up", "accept", "review", "decide", "deliver", "close"]),
    ("closed, denied", ["up", "up", "accept", "review", "deny", "deliver", "close"]),
    ("refused", ["up", "up", "refuse"]),
    ("withdrawn", ["up", "withdraw"]),
    ("overdue", ["up", "up", "accept", "review"]),
]


def _id_number(rng: random.Random) -> str:
    """A made-up number that passes the checks: a birth place python-stdnum knows, a date, the check digit."""
    while True:
        region = rng.choice(["430121", "430122", "430123", "430124", "430181", "430102", "430103", "430104"])
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 60 * 365))
        body = f"{region}{born:%Y%m%d}{rng.randrange(100, 999)}"
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):
            return number


def _staff(point: ServicePoint, username: str, full_name: str, role: str):
    user, made = get_user_model().objects.get_or_create(username=username, defaults={"first_name": full_name})
    if made:
        user.set_unusable_password()  # acts in the replayed story only; demo logins are in tenants.demo
        user.save()
    roles.grant_role(user, point, role)
    return user


def _clerk(point: ServicePoint):
    # The point's demo login if it has one (wenchang-clerk), else a window clerk made for the story.
    user = (get_user_model().objects.filter(groups__point_group__point=point, groups__point_group__role=Role.CLERK)
            .order_by("id").first())
    if user is None:
        user = _staff(point, f"{point.slug}-clerk", f"{point.name}窗口", Role.CLERK)
    return Actor(user, point, "10.20.0.8")


def _working_days_back(today: dt.date, days: int) -> dt.date:
    day, counted = today, 0
    while counted < days:
        day -= dt.timedelta(days=1)
        if workdays.is_workday(day):
            counted += 1
    return day


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9 + rng.randrange(0, 7), rng.randrange(0, 60)), TZ)


@transaction.atomic  # all the stories or none: a failed load leaves no half-told demo
def load_demo_cases(progress=print, count_per_story: int = 3) -> int:
    """Play the stories at the demo's villages, townships and county; returns how many cases were made."""
    county = ServicePoint.objects.filter(tier=Tier.COUNTY).order_by("region_code").first()
    if county is None or Case.objects.in_network(county).exists():
        return 0
    rng = random.Random(2026)
    for username, department, full_name in DESKS:
        user = _staff(county, username, full_name, Role.CLERK)
        DeskAssignment.objects.get_or_create(point=county, user=user, department=department)
    villages = list(ServicePoint.objects.filter(tier=Tier.VILLAGE, region_code__startswith=county.county_code))
    today = clock.today()
    made = 0
    for story_index, (story, steps) in enumerate(STORIES):
        for n in range(count_per_story):
            at_county = (story_index + n) % 5 == 4 and "up" in steps and "return" not in steps
            origin = county if at_county else villages[(story_index * count_per_story + n) % len(villages)]
            codes = COUNTY_ITEMS if at_county else VILLAGE_ITEMS
            code = codes[(story_index + n) % len(codes)]
            adoption = Adoption.objects.of_point(origin).filter(item__code=code).select_related("version").first()
            if adoption is None:
                continue
            steps_here = [s for s in steps if s != "up"] if at_county else list(steps)
            age = 25 if story == "overdue" else rng.randrange(len(steps_here) + 1, len(steps_here) + 12)
            day = _working_days_back(today, age)
            case = _play(origin, adoption.version, steps_here, day, rng)
            made += case is not None
        progress(f"演示办件：{story}（{made} 件）")
    return made


def _play(origin: ServicePoint, version, steps: list[str], start: dt.date, rng: random.Random) -> Case | None:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    materials = [MaterialCheck(m["name"], present=True, original=m.get("form") != "复印件", copies=m.get("copies", 1))
                 for m in version.content.get("materials", []) if m.get("required", True)]
    if "supplement" in steps and materials:
        materials = materials[1:]  # the first required material is missing: 一次性告知
    if "accept_tolerance" in steps:  # a material the item lets the applicant bring later is missing
        tolerable = {m["name"] for m in version.content.get("materials", []) if m.get("tolerable")}
        materials = [m for m in materials if m.name not in tolerable]
    applicant = Applicant("person", name, _id_number(rng), f"13{rng.randrange(100000000, 999999999)}")
    day = start
    with clock.replaying(_moment(day, rng)):
        case = services.open_case(_clerk(origin), Intake(version.code, applicant, materials))
    for step in steps:
        day = min(workdays.add_working_days(day, 1), clock.today())
        holder = Case.objects.select_related("holder", "deciding_point").get(pk=case.pk).holder
        if step == "up" and holder.pk == case.deciding_point_id:
            continue  # a township decides this item: one handoff is enough
        actor = _decider(case, holder) if step in DECIDING_STEPS else _clerk(holder)
        with clock.replaying(_moment(day, rng)):
            case = STEP_CALLS[step](case, actor, day)
    return case


def _decider(case: Case, holder: ServicePoint) -> Actor:
    desk = DeskAssignment.objects.of_point(holder).filter(department=case.department).select_related("user").first()
    return Actor(desk.user, holder, "10.20.0.9") if desk else _clerk(holder)


DECIDING_STEPS = {"accept", "accept_tolerance", "review", "special", "decide", "deny", "refuse"}
STEP_CALLS = {
    "up": lambda case, actor, day: services.hand_up(case.pk, actor, "申请人在本村提交，按规定报送上级办理"),
    "return": lambda case, actor, day: services.return_down(
        case.pk, actor, "数字相片不符合证件照规格，请重新采集后报送"),
    "supplement": lambda case, actor, day: services.request_supplement(
        case.pk, actor, [m["name"] for m in services.missing_materials(case)] or ["补充说明材料"]),
    "accept": lambda case, actor, day: services.accept(case.pk, actor),
    "accept_tolerance": lambda case, actor, day: _accept_tolerating(case, actor, day),
    "review": lambda case, actor, day: services.start_review(case.pk, actor),
    "special": lambda case, actor, day: services.start_special(
        case.pk, actor, "需组织专家现场评估", workdays.add_working_days(day, 10)),
    "decide": lambda case, actor, day: services.decide(
        case.pk, actor, granted=True, text="经审查，符合条件，准予办理。"),
    "deny": lambda case, actor, day: services.decide(
        case.pk, actor, granted=False, text="经审查，申请人年龄未达到规定条件，不予办理。"),
    "deliver": lambda case, actor, day: _deliver(case, actor),
    "close": lambda case, actor, day: services.close(case.pk, actor),
    "refuse": lambda case, actor, day: services.refuse(case.pk, actor, "申请事项依法不属于本机关职权范围。"),
    "withdraw": lambda case, actor, day: services.withdraw(case.pk, actor, "申请人书面申请撤回"),
}


def _accept_tolerating(case: Case, actor: Actor, day: dt.date) -> Case:
    missing = [row["name"] for row in services.missing_materials(case) if row["tolerable"]]
    if not missing:
        return services.accept(case.pk, actor)
    return services.accept(case.pk, actor, tolerated=missing, tolerance_due=workdays.add_working_days(day, 10))


def _deliver(case: Case, actor: Actor) -> Case:
    method = _delivery(case)
    if method == "electronic":  # the sealed PDF and its verification page, as the results page issues them
        return results.deliver_electronic(case.pk, actor, verify_root=DEMO_ROOT).case
    return services.deliver(case.pk, actor, method=method, detail="申请人本人签收",
                            post=services.Post("云溪县城关镇建设路 6 号") if method == "post" else None)


def _delivery(case: Case) -> str:
    allowed = case.version.content.get("delivery", [])
    if "窗口领取" in allowed:
        return "window"
    return "electronic" if "电子送达" in allowed else "post"
