"""Demo of the citizens' side: two network accounts with online applications in
every state the applicant sees (a draft, 申请 awaiting the window, 补正 asked,
a result issued electronically and verified, one revoked, ratings good and
bad with a supervisor's follow-up), played through the same services as the
pages, over the past working days (cases.clock).

Loaded by ops' load_demo_network after the window cases; skipped once the demo
accounts exist. Sign in at the network host with the phone numbers below: the
code is printed on the demo's console.
"""
from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from stdnum.cn import ric

from cases import clock, ratings, results, services, workdays
from cases.demo import DEMO_ROOT, TZ, _clerk, _decider, _working_days_back
from cases.models import Case, RatingChannel
from cases.online_steps import receive_online
from standards.models import Adoption
from tenants.models import ServicePoint, Tier

from . import accounts, applications
from .models import CitizenAccount

# (phone, name, ID number body without its check digit): fictional people.
PEOPLE = [("13800138000", "林晓梅", "43012119560312104"), ("13800138001", "欧阳建华", "43012219480705203")]
VILLAGE_ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: 网上预审, decided by the county's 民政局
COUNTY_ITEM = "YM-MZJ-JF-004"  # 高龄津贴申领: 全程网办, 电子送达
DRAFT_ITEM = "YM-GAJ-GG-002"  # 居住证申领: left as a draft


def _pdf(title: str) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont("STSong-Light", 16)
    page.drawString(72, 760, f"演示材料：{title}")
    page.drawString(72, 730, "（虚构的扫描件，仅供演示）")
    page.save()
    return out.getvalue()


def _files(version, rng: random.Random) -> dict[str, SimpleUploadedFile]:
    return {m["name"]: SimpleUploadedFile(f"扫描件{rng.randrange(100, 999)}.pdf", _pdf(m["name"]), "application/pdf")
            for m in version.content.get("materials", []) if m.get("required", True)}


def _account(phone: str, name: str, body: str) -> CitizenAccount:
    account = accounts._account_for(phone)
    return accounts.verify(account, kind="person", name=name, id_number=body + ric.calc_check_digit(body + "0"))


def _apply(account: CitizenAccount, point: ServicePoint, code: str, day: dt.date, rng: random.Random) -> Case:
    with clock.replaying(dt.datetime.combine(day, dt.time(20, rng.randrange(0, 60)), TZ)):  # applied in the evening
        draft = applications.open_draft(account, point, code)
        applications.save_draft(draft, {"phone": account.phone, "address": "云溪县金溪街道和平路 18 号",
                                        "note": "网上申请，请审核"}, _files(draft.version, rng), {})
        return applications.submit(draft, "10.20.0.30")


def _at(day: dt.date, hour: int):
    return clock.replaying(dt.datetime.combine(day, dt.time(hour, 30), TZ))


def _receive(case: Case) -> Case:
    return receive_online(case.pk, _clerk(case.holder))


def _next_day(day: dt.date) -> dt.date:
    return min(workdays.add_working_days(day, 1), clock.today())


def _carry_to_decision(case: Case, day: dt.date) -> tuple[Case, dt.date]:
    """收件 at the point it was applied to, up to the decider, 受理 and 准予."""
    with _at(day, 9):
        case = _receive(case)
    while case.holder_id != case.deciding_point_id:
        day = _next_day(day)
        with _at(day, 10):
            case = services.hand_up(case.pk, _clerk(case.holder), "网上申请已预审通过，报送上级办理")
    day = _next_day(day)
    decider = _decider(case, case.holder)
    with _at(day, 11):
        case = services.accept(case.pk, decider)
    day = _next_day(day)
    with _at(day, 15):
        case = services.decide(case.pk, decider, granted=True, text="经审查，符合条件，准予办理。")
    return case, day


@transaction.atomic  # all or nothing, as the window cases
def load_demo_online(progress=print) -> int:
    """The demo accounts and their online cases; returns how many cases were made."""
    if CitizenAccount.objects.filter(phone=PEOPLE[0][0]).exists():
        return 0
    county = ServicePoint.objects.filter(tier=Tier.COUNTY).order_by("region_code").first()
    if county is None:
        return 0
    villages = [p for p in ServicePoint.objects.filter(tier=Tier.VILLAGE, region_code__startswith=county.county_code)
                .order_by("region_code") if Adoption.objects.of_point(p).filter(item__code=VILLAGE_ITEM).exists()]
    if not villages or not Adoption.objects.of_point(county).filter(item__code=COUNTY_ITEM).exists():
        return 0
    rng = random.Random(13)
    lin, ouyang = (_account(*person) for person in PEOPLE)
    today = clock.today()
    made = []

    # 申请: waiting for the village window's 收件 (its workbench lists it under 网上申请).
    made.append(_apply(lin, villages[0], VILLAGE_ITEM, _working_days_back(today, 1), rng))

    # 补正: the window asked for a clearer photo; the applicant uploads it on 我的办件.
    case = _apply(ouyang, villages[0], VILLAGE_ITEM, _working_days_back(today, 4), rng)
    with _at(_working_days_back(today, 3), 9):
        case = _receive(case)
        case = services.request_supplement(case.pk, _clerk(case.holder), ["数字相片"],
                                           "照片背景不是白色，请按证件照规格重新上传")
    made.append(case)

    # 全程网办 at the county, 电子送达, verified by QR, rated 5.
    case = _apply(lin, county, COUNTY_ITEM, _working_days_back(today, 9), rng)
    case, day = _carry_to_decision(case, _working_days_back(today, 8))
    desk = _decider(case, case.holder)
    with _at(day, 16):
        results.deliver_electronic(case.pk, desk, verify_root=DEMO_ROOT)
        case = services.close(case.pk, desk)
    with _at(_next_day(day), 8):
        ratings.rate(case.pk, 5, "全程网上办理，一次都没跑，点赞！", channel=RatingChannel.ONLINE)
    made.append(case)

    # A result revoked by the deciding department: its verification page says so.
    case = _apply(ouyang, county, COUNTY_ITEM, _working_days_back(today, 12), rng)
    case, day = _carry_to_decision(case, _working_days_back(today, 11))
    desk = _decider(case, case.holder)
    with _at(day, 16):
        result = results.deliver_electronic(case.pk, desk, verify_root=DEMO_ROOT)
    with _at(_next_day(day), 10):
        results.revoke(result.pk, desk, "出生日期登记有误，已重新核定并另行出具")
    made.append(case)

    # Applied online, fetched at the village window, rated 2: a follow-up for the village's supervisor.
    case = _apply(ouyang, villages[-1], VILLAGE_ITEM, _working_days_back(today, 10), rng)
    case, day = _carry_to_decision(case, _working_days_back(today, 9))
    day = _next_day(day)
    with _at(day, 10):
        clerk = _clerk(case.holder)
        case = services.deliver(case.pk, clerk, method="window", detail="申请人本人签收")
        case = services.close(case.pk, clerk)
    with _at(day, 11):
        ratings.rate(case.pk, 2, "取证时等了一个多小时，窗口只开了一个。", channel=RatingChannel.QR)
    made.append(case)

    # A draft saved on the phone, not yet submitted.
    township = ServicePoint.objects.filter(pk=villages[0].parent_id).first()
    if township is not None and Adoption.objects.of_point(township).filter(item__code=DRAFT_ITEM).exists():
        draft = applications.open_draft(lin, township, DRAFT_ITEM)
        applications.save_draft(draft, {"phone": lin.phone, "note": "租住在镇上，申请居住证"}, {}, {})
    progress(f"演示网上办事：账号 {PEOPLE[0][0]}、{PEOPLE[1][0]}（验证码见控制台），{len(made)} 件网上申请")
    return len(made)
