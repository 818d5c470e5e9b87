"""In headless Chromium: a central admin edits a standard and submits it, a
second central admin publishes it, and the propagation page shows it reaching
every adopting point (applied by the real Celery worker); a citizen at a
village then reads the new text."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser import sign_in, url  # the `browser` fixture comes from conftest

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")  # screenshots of the editor, the review and the progress page
NEW_CONDITIONS = "本县户籍居民；婴儿出生后两个月以内由监护人申报。"


def test_central_admins_edit_review_publish_and_watch_it_reach_the_points(
        browser, network, live_server_url, celery_worker, make_item):
    port = live_server_url
    points = [network.county, network.township, network.village]
    item = make_item(adopt_at=points, accept_tiers=["county", "township", "village"], owner=network.county)
    alice = network.user("alice", network.county, "central_admin")
    bob = network.user("bob", network.county, "central_admin")

    first, second = browser.new_context(), browser.new_context()
    try:
        # Alice opens the item from the library and starts a draft from the current version.
        page = first.new_page()
        sign_in(page, network.county, port, alice.username)
        page.get_by_role("link", name="事项标准库").first.wait_for(state="attached")
        page.goto(url(network.county, port, f"/admin/standards/?q={item.code}"))
        page.screenshot(path=str(SHOTS / "yimen-standards-list.png"))
        page.get_by_role("link", name=item.code).click()
        page.wait_for_url(re.compile(rf"/admin/standards/items/{item.code}/$"))
        page.screenshot(path=str(SHOTS / "yimen-standards-item.png"))
        page.get_by_role("button", name="从现行版本新建草稿").click()
        page.wait_for_url(re.compile(r"/admin/standards/versions/\d+/edit/$"))
        conditions = page.get_by_label("受理条件", exact=True)
        assert conditions.input_value() == item.content["conditions"]
        conditions.fill(NEW_CONDITIONS)
        materials = page.locator("fieldset").filter(has_text="申请材料").first
        materials.screenshot(path=str(SHOTS / "yimen-standards-edit.png"))
        page.locator("fieldset").first.screenshot(path=str(SHOTS / "yimen-standards-edit-basic.png"))
        page.get_by_label("修订说明").fill("延长出生登记申报期限")
        page.get_by_role("button", name="保存并提交审核").click()
        page.wait_for_url(re.compile(r"/admin/standards/versions/\d+/$"))
        assert "状态：待审核" in page.locator(".std-status").inner_text()
        # The four-eyes rule is explained to the submitter.
        assert page.get_by_text("提交审核的人不能自己发布").is_visible()
        version_url = page.url

        # Bob reviews the change and publishes it.
        page2 = second.new_page()
        sign_in(page2, network.county, port, bob.username)
        page2.goto(version_url)
        page2.screenshot(path=str(SHOTS / "yimen-standards-review.png"), full_page=True)
        change = page2.locator('tr[data-field="conditions"]')
        assert change.locator("ins").first.is_visible()
        assert "本县户籍居民；" in "".join(change.locator("ins").all_inner_texts())
        page2.get_by_role("button", name="审核通过并发布").click()
        page2.wait_for_url(re.compile(r"/admin/standards/propagations/\d+/$"))

        # The page refreshes itself until every point has the new version.
        heading = page2.locator("#std-progress-h")
        deadline = time.monotonic() + 90
        while True:
            try:
                shown = heading.inner_text(timeout=5_000)
            except Exception:  # mid-refresh
                shown = ""
            if shown.startswith("推送已完成"):
                break
            assert time.monotonic() < deadline, f"propagation did not finish: {shown!r}"
            page2.wait_for_timeout(500)
        assert shown == "推送已完成：3/3 个服务点（100%）"
        assert page2.locator(".std-count-published strong").inner_text() == "3"
        assert page2.locator(".std-count-failed strong").inner_text() == "0"
        for point in points:
            row = page2.locator(f'tr[data-point="{point.slug}"]')
            assert row.locator("td").nth(2).inner_text() == "已发布", point.slug
        assert page2.get_by_text("没有冲突或失败的服务点。").is_visible()
        page2.screenshot(path=str(SHOTS / "yimen-standards-propagation.png"), full_page=True)

        # A citizen at the village reads the new conditions.
        citizen = first.new_page()
        response = citizen.goto(url(network.village, port, f"/items/{item.code}/"))
        assert response is not None and response.status == 200
        assert citizen.get_by_text(NEW_CONDITIONS).first.is_visible()
    finally:
        first.close()
        second.close()
