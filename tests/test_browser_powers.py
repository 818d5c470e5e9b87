"""Issue 15 in headless Chromium, one walk: a central admin drafts a grant of
five items of the county's 市场监督管理局 to the park and another activates it
(four eyes); on a 375 px phone a citizen reads the park's guide (the park
decides, under the instrument and seal) and the county's (the park's
enterprises go to the park); the park's clerk, on a phone too, receives an
enterprise's case, accepts it, decides it and issues the electronic result,
in the county department's name with the park's seal, and sees it on the
park's workbench; revocation sends new cases back to the county and the
guides say so at once. axe-core finds no WCAG 2.1 A/AA violation on the
citizen's and the park's pages."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from stdnum.cn import uscc

from tests.browser import sign_in, url
from tests.test_browser_citizen import PHONE, assert_fits_phone, assert_no_wcag_violations

pytestmark = pytest.mark.browser

DEPT = "市场监督管理局"
ITEMS = ["YM-SJJ-XK-001", "YM-SJJ-XK-003", "YM-SJJ-XK-004", "YM-SJJ-XK-006", "YM-SJJ-XK-008"]
ITEM = ITEMS[0]  # 内资有限公司设立登记
NUMBER = "云政发〔2026〕131号"
SEAL = "测试园区管理委员会行政审批专用章"


@pytest.fixture
def network(shared_network):
    return shared_network


def credit_code() -> str:
    body = "91430100" + "39" * 4 + "X"
    return body + uscc.calc_check_digit(body)


def test_a_grant_to_the_park_from_draft_to_revocation(browser, network, live_server_url):
    from cases import routing
    from cases.models import Case, ElectronicResult
    from powers.models import PowerGrant
    from standards.models import StandardItem
    from tests.test_powers_effects import pdf_keywords

    port = live_server_url
    alice = network.user("bp-alice", network.county, "central_admin")
    bob = network.user("bp-bob", network.county, "central_admin")
    clerk = network.user("bp-park-clerk", network.park, "clerk")
    code = credit_code()
    from django.utils import timezone

    today = timezone.localdate()
    guide = f"/items/{ITEM}/"

    admins = {name: browser.new_context() for name in ("alice", "bob")}
    phones = {name: browser.new_context(**PHONE) for name in ("citizen", "clerk")}
    try:
        # A central admin drafts the grant of five items; she may not activate it herself.
        page = admins["alice"].new_page()
        sign_in(page, network.county, port, alice.username)
        page.goto(url(network.county, port, "/admin/powers/new/"))
        page.get_by_label("赋权部门").fill(DEPT)
        page.get_by_label("承接园区").select_option(label=network.park.name)
        page.get_by_label("赋权事项编码").fill("\n".join(ITEMS))
        page.get_by_label("园区企业统一社会信用代码（每行一个）").fill(code)
        page.get_by_label("委托书（授权文件）文号").fill(NUMBER)
        page.get_by_label("委托书日期").fill("2026-03-01")
        page.get_by_label("公告网址").fill("https://gov.example/notices/131")
        page.get_by_label("审批专用章名称").fill(SEAL)
        page.get_by_label("生效日期").fill(today.isoformat())
        page.get_by_label("截止日期").fill((today + dt.timedelta(days=365)).isoformat())
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_url(re.compile(r"/admin/powers/\d+/$"), timeout=5000)
        assert "须由另一位中心管理员批准生效" in page.content()
        grant = PowerGrant.objects.get(grantor=network.county, instrument_number=NUMBER)
        assert grant.status == "draft" and grant.items.count() == 5

        # Another activates it.
        page = admins["bob"].new_page()
        sign_in(page, network.county, port, bob.username)
        page.goto(url(network.county, port, f"/admin/powers/{grant.pk}/"))
        page.get_by_role("button", name="批准生效").click()
        page.wait_for_url(re.compile(r"/admin/powers/\d+/$"))
        grant.refresh_from_db()
        assert grant.status == "active" and grant.activated_by == bob

        # A citizen's phone: the park's guide names the park and the legal basis;
        # the county's sends the park's enterprises there.
        citizen = phones["citizen"].new_page()
        citizen.goto(url(network.park, port, guide))
        basis = citizen.locator("section.delegated").inner_text()
        assert "赋权园区办理" in basis and NUMBER in basis and SEAL in basis and network.park.name in basis
        assert_fits_phone(citizen)
        assert_no_wcag_violations(citizen)
        citizen.goto(url(network.county, port, guide))
        place = citizen.locator("li.park-place")
        assert network.park.name in place.inner_text()
        assert place.get_by_role("link", name=network.park.name).get_attribute("href") == url(network.park, port, guide)
        assert_fits_phone(citizen)
        assert_no_wcag_violations(citizen)

        # The park's clerk receives an enterprise's case, decides it and issues the sealed result.
        desk = phones["clerk"].new_page()
        sign_in(desk, network.park, port, clerk.username)
        desk.goto(url(network.park, port, f"/admin/cases/new/?item={ITEM}"))
        desk.get_by_label("企业（法人）").check()
        desk.get_by_label("申请人姓名或企业名称").fill("湘江智造有限公司")
        desk.get_by_label("身份证号或统一社会信用代码").fill(code)
        desk.get_by_label("法定代表人（企业申请）").fill("李明")
        desk.get_by_label("联系电话").fill("13812345678")
        for box in desk.locator("input[name$='-present']").all():
            box.check()
        desk.get_by_role("button", name="收件并生成办件编号").click()
        desk.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        case = Case.objects.filter(origin_point=network.park).latest("received_at")
        assert case.deciding_point == network.park and case.holder == network.park
        desk.get_by_role("button", name="受理", exact=True).click()
        desk.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        desk.get_by_label("准予").check()
        desk.get_by_label("决定内容").fill("准予设立登记，核发营业执照。")
        desk.get_by_role("button", name="决定", exact=True).click()
        desk.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        assert_no_wcag_violations(desk)
        desk.get_by_role("link", name="送达与电子文书").click()
        desk.get_by_label("电子送达").check()
        with desk.expect_navigation():
            desk.get_by_role("button", name="送达", exact=True).click()
        result = ElectronicResult.objects.get(case=case)
        assert result.issuer == f"{network.county.name}{DEPT}"
        assert SEAL in pdf_keywords(result.pdf.open("rb").read())
        result.pdf.close()

        # The park's workbench: the five granted items.
        desk.goto(url(network.park, port, "/admin/park/"))
        granted = desk.locator("section[aria-labelledby=park-granted]")
        assert "（5 项）" in granted.get_by_role("heading").inner_text() and NUMBER in granted.inner_text()
        assert_no_wcag_violations(desk)

        # Revoked: new cases go to the county again, and both guides say so at once.
        page.goto(url(network.county, port, f"/admin/powers/{grant.pk}/"))
        page.get_by_label("撤销理由").fill("园区管理机构调整")
        page.get_by_role("button", name="撤销", exact=True).click()
        page.wait_for_url(re.compile(r"/admin/powers/\d+/$"))
        version = StandardItem.objects.get(code=ITEM).current
        assert routing.route(version, network.park, code).deciding_point == network.county
        citizen.goto(url(network.county, port, guide))
        assert citizen.locator("li.park-place").count() == 0
        citizen.goto(url(network.park, port, guide))
        assert citizen.locator("section.delegated").count() == 0
    finally:
        for context in [*admins.values(), *phones.values()]:
            context.close()
