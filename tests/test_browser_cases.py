"""In headless Chromium, the heart of the product: a villager hands in papers at
the village station; the village clerk opens the case and hands it up; the
township hands it up again; the county's 民政局 desk accepts, reviews and
decides; the result comes back down and the village delivers it. At each step
each point sees only what it should: the next point's inbox has it, the
sibling township and village never see it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import sign_in, url
from tests.test_browser_citizen import assert_no_wcag_violations

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")
ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: village → township → county 民政局
ID = "11010519491231002X"


def test_a_case_goes_up_three_tiers_and_comes_back_to_the_village(browser, network, live_server_url):
    from cases.models import Case, DeskAssignment

    port = live_server_url
    village = network.user("cun", network.village, "clerk")
    township = network.user("zhen", network.township, "clerk")
    desk = network.user("mzj", network.county, "clerk")
    DeskAssignment.objects.create(point=network.county, user=desk, department="民政局")
    sibling_town = network.user("zhen2", network.other_township, "clerk")
    sibling_village = network.user("cun2", network.other_village, "clerk")

    contexts = {name: browser.new_context() for name in ("village", "township", "county", "town2", "village2")}
    try:
        pages = {name: context.new_page() for name, context in contexts.items()}
        sign_in(pages["village"], network.village, port, village.username)
        sign_in(pages["township"], network.township, port, township.username)
        sign_in(pages["county"], network.county, port, desk.username)
        sign_in(pages["town2"], network.other_township, port, sibling_town.username)
        sign_in(pages["village2"], network.other_village, port, sibling_village.username)

        # The village clerk opens the case: item, applicant, materials.
        page = pages["village"]
        page.goto(url(network.village, port, "/admin/cases/new/"))
        page.get_by_label("事项名称或编码").fill("优待证")
        page.get_by_role("button", name="查找").click()
        page.get_by_role("link", name="老年人优待证办理").click()
        page.get_by_label("申请人姓名或企业名称").fill("王秀英")
        page.get_by_label("身份证号或统一社会信用代码").fill(ID)
        page.get_by_label("联系电话").fill("13812345678")
        for material in ("居民身份证", "数字相片"):
            page.locator("tr", has=page.get_by_role("rowheader", name=material)).locator(
                "input[name$='-present']").check()
        assert_no_wcag_violations(page)
        page.get_by_role("button", name="收件并生成办件编号").click()
        page.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        case = Case.objects.filter(origin_point=network.village).latest("received_at")
        case_path = f"/admin/cases/{case.pk}/"
        assert case.number in page.locator("h1").inner_text()
        page.screenshot(path=str(SHOTS / "yimen-case-received.png"), full_page=True)
        assert_no_wcag_violations(page)
        page.get_by_role("button", name="转办上报").click()
        page.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        assert page.get_by_text("您在本点现在没有可以办理的步骤").is_visible()

        # The township's inbox has it; the sibling township's has not, nor can it open it.
        town = pages["township"]
        town.goto(url(network.township, port, "/admin/cases/inbox/"))
        town.get_by_role("link", name=case.number, exact=True).click()
        town.get_by_role("button", name="转办上报").click()
        town.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        pages["town2"].goto(url(network.other_township, port, "/admin/cases/inbox/"))
        assert case.number not in pages["town2"].content()
        assert pages["town2"].goto(url(network.other_township, port, case_path)).status == 404

        # The county's 民政局 desk accepts, reviews and decides.
        county = pages["county"]
        county.goto(url(network.county, port, "/admin/cases/queue/"))
        county.get_by_role("link", name=case.number, exact=True).click()
        county.get_by_role("button", name="受理", exact=True).click()
        county.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        county.get_by_role("button", name="开始审查").click()
        county.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        county.get_by_label("准予").check()
        county.get_by_label("决定内容").fill("经审查，符合条件，准予办理老年人优待证。")
        county.get_by_role("button", name="决定", exact=True).click()
        county.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        county.screenshot(path=str(SHOTS / "yimen-case-decided.png"), full_page=True)

        # The result is back at the village, which delivers it; the sibling village never saw it.
        page.goto(url(network.village, port, "/admin/cases/inbox/"))
        page.get_by_role("link", name=case.number, exact=True).click()
        page.get_by_label("送达方式").select_option("window")
        page.get_by_label(re.compile("送达说明")).fill("本人到站领取")
        page.get_by_role("button", name="送达", exact=True).click()
        page.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        page.get_by_role("button", name="办结", exact=True).click()
        page.wait_for_url(re.compile(r"/admin/cases/\d+/$"))
        assert "已办结" in page.locator("main").inner_text()
        pages["village2"].goto(url(network.other_village, port, "/admin/cases/"))
        assert case.number not in pages["village2"].content()
        assert pages["village2"].goto(url(network.other_village, port, case_path)).status == 404
    finally:
        for context in contexts.values():
            context.close()

    case.refresh_from_db()
    assert case.status == "closed" and case.holder == network.village
    assert list(case.events.values_list("point__slug", "action")) == [
        (network.village.slug, "receive_window"), (network.village.slug, "hand_up"),
        (network.township.slug, "hand_up"), (network.county.slug, "accept"), (network.county.slug, "start_review"),
        (network.county.slug, "decide"), (network.village.slug, "deliver"), (network.village.slug, "close")]
