"""Demo 电子监察: after the demo cases (cases.demo) are played, a few more stories
so that the network's warnings come in every colour and rule — a case due
tomorrow (yellow), one whose 补正/不予受理 notice is due tomorrow (yellow), a
fee charged for a free item (red), a closed case taken back (red) — next to
the red ones the demo's late cases raise by themselves (overdue, handoffs not
taken up, 收件 not answered in 5 working days). Then the monitor runs once,
a supervisor marks one warning seen and explains another.

Loaded by ops' load_demo_network after cases and online; skipped once the
demo county has warnings.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from cases import clock, services, workdays
from cases.models import Case, DeskAssignment, Status
from standards.models import Adoption
from tenants.models import Role, ServicePoint, Tier

from . import monitor
from . import services as supervision
from .models import Colour, Warning

TZ = ZoneInfo("Asia/Shanghai")
ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: 3 working days, decided by the county's 民政局, 不收费
IDS = ["430121195203110024", "430122194811250014", "430121195806070041", "430122196010150063"]


def _back(days: int) -> dt.date:
    day, counted = clock.today(), 0
    while counted < days:
        day -= dt.timedelta(days=1)
        counted += workdays.is_workday(day)
    return day


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), TZ)


def _clerk(point: ServicePoint) -> services.Actor | None:
    user = (get_user_model().objects.filter(groups__point_group__point=point, groups__point_group__role=Role.CLERK)
            .order_by("id").first())
    return services.Actor(user, point, "10.20.0.8") if user else None


def _desk(county: ServicePoint) -> services.Actor | None:
    desk = DeskAssignment.objects.of_point(county).filter(department="民政局").select_related("user").first()
    return services.Actor(desk.user, county, "10.20.0.9") if desk else None


def _open(clerk: services.Actor, n: int) -> Case:
    return services.open_case(clerk, services.Intake(ITEM, services.Applicant(
        "person", ["赵玉梅", "孙德胜", "马淑珍", "胡春生"][n], IDS[n], f"1350731{n:04d}"),
        [services.MaterialCheck("居民身份证", present=True, original=True, copies=1),
         services.MaterialCheck("数字相片", present=True, copies=1)]))


def _supervisor(point: ServicePoint):
    return (get_user_model().objects.filter(groups__point_group__point=point,
                                            groups__point_group__role=Role.SUPERVISOR).order_by("id").first())


def load_demo_supervision(progress=print) -> int:
    """The demo's warnings; returns how many were raised."""
    county = ServicePoint.objects.filter(tier=Tier.COUNTY).order_by("region_code").first()
    if county is None or Warning.objects.filter(point__region_code__startswith=county.county_code).exists():
        return 0
    villages = [v for v in ServicePoint.objects.filter(tier=Tier.VILLAGE, region_code__startswith=county.county_code)
                if Adoption.objects.of_point(v).filter(item__code=ITEM).exists() and _clerk(v)]
    desk = _desk(county)
    clerk = _clerk(villages[0]) if villages else None
    if clerk is not None and desk is not None:
        village = villages[0]
        township = village.parent
        # Yellow, 办结时限: accepted two working days ago, due tomorrow.
        day = _back(2)
        with clock.replaying(_at(day, 9)):
            case = _open(clerk, 0)
        with clock.replaying(_at(day, 9, 30)):
            services.hand_up(case.pk, clerk, "申请人在本村提交，按规定报送上级办理")
        with clock.replaying(_at(day, 10)):
            services.hand_up(case.pk, (_clerk(township) if township else None) or clerk, "")
        with clock.replaying(_at(day, 11)):
            services.accept(case.pk, desk)
        # Yellow, 告知期限: received four working days ago, not yet accepted nor told what is missing.
        with clock.replaying(_at(_back(4), 15)):
            _open(clerk, 1)
        # Red, 不收费事项收费: a 工本费 taken at the window for a free item.
        with clock.replaying(_at(_back(1), 10)):
            case = _open(clerk, 2)
            services.record_fee(case.pk, clerk, "10", "工本费")
    # Red, 办结后又有办理: a closed demo case taken back to 已送达.
    closed = Case.objects.filter(status=Status.CLOSED, origin_point__region_code__startswith=county.county_code,
                                 origin_point__tier=Tier.VILLAGE).order_by("closed_at").first()
    if closed is not None and (clerk := _clerk(closed.holder)) is not None:
        services.record_step(closed.pk, clerk, "undo_close", "clerk",
                             lambda case: setattr(case, "status", Status.DELIVERED),
                             note="撤销办结：称需补录送达信息")
    result = monitor.check(county)
    progress(f"电子监察：{result.raised} 条预警（"
             f"{Warning.objects.filter(point__region_code__startswith=county.county_code, colour=Colour.RED).count()}"
             f" 条红牌）")
    # A township supervisor has read one warning and explained another.
    for warning in Warning.objects.active().filter(point__region_code__startswith=county.county_code,
                                                   point__tier=Tier.TOWNSHIP).select_related("point")[:2]:
        user = _supervisor(warning.point)
        if user is None:
            continue
        if warning.colour == Colour.RED:
            supervision.explain(warning.pk, user, warning.point, "已督促窗口当日接收，并约谈相关工作人员。")
        else:
            supervision.mark_seen(warning.pk, user, warning.point)
    return result.raised
