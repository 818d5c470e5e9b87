"""Demo of 赋权强园: the demo county (云溪县) grants powers to its park
(云溪经济开发区企业服务中心), drafted by one central admin (zhongxin) and
activated by another (shenhe), through powers.services like the admin:

- 市场监督管理局: its delegable 登记 items, every stage, for the park's 30
  enterprises (by credit code), with the park's approval seal (a PNG made
  here), in force for a year; cases in flight finish at the park if it ends;
- 人力资源和社会保障局: its three delegable items, 受理 and 审查 only, the
  county department confirming (见章盖章), for enterprises registered in the
  park's region code; it ends in 20 days, so its 30-day reminder is shown;
- 住房和城乡建设局: a grant drafted, activated and revoked (its history kept).

Loaded by ops' load_demo_network after the cases; skipped once the county has grants.
"""
from __future__ import annotations

import datetime as dt
import io
import math

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from stdnum.cn import uscc

from standards.models import StandardItem
from tenants.models import ServicePoint

from . import reminders, services
from .models import OnEnd, PowerGrant, ScopeKind

COUNTY, PARK = "yunxi", "yunxi-kfq"
DRAFTER, APPROVER = "zhongxin", "shenhe"
PARK_REGION = "439971"  # the park's own registration region code (fictional, as the whole county)
SEAL = "云溪经济开发区管理委员会行政审批专用章"


def park_enterprises(county_code: str, count: int = 30) -> list[str]:
    """Fictional enterprises of the park: valid unified social credit codes."""
    codes = []
    for n in range(count):
        body = f"91{county_code}MA4{n:05d}X"
        codes.append(body + uscc.calc_check_digit(body))
    return codes


def seal_png() -> SimpleUploadedFile:
    """A red round seal with a star (the image an electronic result carries)."""
    from PIL import Image, ImageDraw

    size = 240
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    red = (200, 16, 46, 255)
    draw.ellipse((6, 6, size - 6, size - 6), outline=red, width=10)
    c, r, s = size / 2, 44, 18
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else s
        angle = math.pi / 2 + k * math.pi / 5
        points.append((c + radius * math.cos(angle), c - radius * math.sin(angle)))
    draw.polygon(points, fill=red)
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile("kfq-seal.png", out.getvalue(), "image/png")


def _codes(department: str) -> list[str]:
    items = StandardItem.objects.filter(current__isnull=False).select_related("current").order_by("code")
    versions = [(i.code, i.current) for i in items if i.current is not None]
    return [code for code, v in versions if v.content.get("park_delegable") and v.department == department]


def load_demo_powers(progress=print) -> list[PowerGrant]:
    county = ServicePoint.objects.filter(slug=COUNTY).first()
    park = ServicePoint.objects.filter(slug=PARK).first()
    if county is None or park is None or PowerGrant.objects.filter(grantor=county).exists():
        return []
    users = get_user_model().objects
    drafter, approver = users.get(username=DRAFTER), users.get(username=APPROVER)
    today = timezone.localdate()
    common = {"grantee": park, "instrument_date": today - dt.timedelta(days=75),
              "notice_url": "https://www.yunxi.gov.cn/zwgk/tzgg/2026/fqqy.html", "seal_name": SEAL}
    made = []

    def grant(spec, *, revoke: str = ""):
        drafted = services.draft(drafter, county, spec)
        done = services.activate(drafted.pk, approver, county, note="县政府常务会议审议通过")
        if revoke:
            done = services.revoke(done.pk, approver, county, revoke)
        made.append(done)
        return done

    grant(services.GrantSpec(
        title="开发区市场主体登记赋权", department="市场监督管理局", item_codes=_codes("市场监督管理局"),
        stages=["all"], credit_codes=park_enterprises(county.county_code),
        instrument_number="云政发〔2026〕18号", valid_from=today - dt.timedelta(days=60),
        valid_to=today + dt.timedelta(days=305), on_end=OnEnd.FINISH, seal_image=seal_png(), **common))
    grant(services.GrantSpec(
        title="开发区人社许可受理审查赋权", department="人力资源和社会保障局",
        item_codes=_codes("人力资源和社会保障局"), stages=["受理", "审查"], confirm_by_county=True,
        scope_kind=ScopeKind.REGIONS, region_codes=[PARK_REGION], instrument_number="云政发〔2026〕19号",
        valid_from=today - dt.timedelta(days=345), valid_to=today + dt.timedelta(days=20), on_end=OnEnd.RETURN,
        seal_image=seal_png(), **common))
    grant(services.GrantSpec(
        title="开发区建设许可赋权（试点）", department="住房和城乡建设局", item_codes=_codes("住房和城乡建设局")[:3],
        stages=["all"], credit_codes=park_enterprises(county.county_code)[:10],
        instrument_number="云政发〔2026〕7号", valid_from=today - dt.timedelta(days=200),
        valid_to=today + dt.timedelta(days=165), on_end=OnEnd.RETURN, **common),
        revoke="试点结束，建设许可收回县住房和城乡建设局办理")
    reminders.remind_due(today)
    progress(f"赋权强园：{county.name}向{park.name}赋权 {len(made)} 项（生效 2 项，已撤销 1 项）")
    return made
