"""A citizen searches on a phone in headless Chromium: suggestions appear while
typing, results show highlighted names and badges, filters narrow them, the
network search names the nearest point, a result opens the guide, nothing
found says so and helps; the same works without JavaScript, and axe-core finds
no WCAG 2.1 A/AA violations on the results page (normal and large text)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_browser_citizen import PHONE, assert_fits_phone, assert_no_wcag_violations, url

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp/yimen-search")


@pytest.fixture
def points(network):
    network.index()
    return network


def test_citizen_searches_with_suggestions_filters_and_network_results(browser, points, live_server_url):
    village = points.village
    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(url(village, live_server_url))
        box = page.get_by_role("combobox", name="搜索办事事项")  # a search box with suggestions
        box.press_sequentially("zuidi", delay=60)
        suggestions = page.get_by_role("listbox", name="输入提示")
        suggestions.get_by_role("option").first.wait_for()
        assert "最低生活保障审核确认" in suggestions.get_by_role("option").all_inner_texts()
        assert_no_wcag_violations(page)  # with the suggestions open
        page.screenshot(path=str(SCREENSHOTS / "suggestions-phone.png"))
        box.press("ArrowDown")
        assert box.get_attribute("aria-activedescendant") == suggestions.get_by_role("option").first.get_attribute("id")
        box.press("Escape")
        assert suggestions.is_hidden()

        box.fill("低保")
        box.press("Enter")
        page.wait_for_url("**/search/?q=*")
        heading = page.get_by_role("heading", level=2).first.inner_text()
        assert heading.startswith("找到")
        first = page.locator("ol.results > li").first
        assert first.locator("mark").count() >= 1
        assert "最低生活保障审核确认" in first.locator("a.name").inner_text()
        assert first.locator(".badges").count() == 1
        assert_fits_phone(page)
        assert_no_wcag_violations(page)
        page.screenshot(path=str(SCREENSHOTS / "results-phone.png"), full_page=True)

        # Filters fold away on a phone; one narrows the results and says it is chosen.
        page.get_by_text("按条件筛选").click()
        page.get_by_role("navigation", name="按服务对象筛选").get_by_role("link").first.click()
        chosen = page.locator(".facet a[aria-current='true']")
        assert chosen.count() == 1 and "已选" in chosen.inner_text()
        assert "已选 1 项" in page.locator("details.filters summary").inner_text()

        # The whole county: each item once, with the nearest point that accepts it.
        page.goto(url(village, live_server_url, "/search/?q=出生登记&scope=network"))
        result = page.locator("ol.results > li").first
        assert "出生登记" in result.locator("a.name").inner_text()
        assert "最近可办" in result.inner_text()
        result.locator("a.name").click()
        page.wait_for_url("**/items/YM-GAJ-QR-001/")
        assert page.get_by_role("heading", level=1).inner_text() == "出生登记"
        assert village.primary_host not in page.url  # the village does not accept it: a higher point does

        # Nothing found: said plainly, with help.
        page.goto(url(village, live_server_url, "/search/?q=量子纠缠"))
        assert "没有找到与“量子纠缠”相关的事项" in page.get_by_role("heading", level=2).first.inner_text()
        assert page.get_by_role("heading", name="大家常办").count() == 1
        assert_no_wcag_violations(page)

        # Large text (适老化): still one column on the phone, still no violations.
        page.goto(url(village, live_server_url, "/search/?q=低保"))
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_selector("html.large-text")
        assert_fits_phone(page)
        assert_no_wcag_violations(page)
    finally:
        context.close()


def test_search_works_without_javascript_and_in_large_text(browser, points, live_server_url):
    village = points.village
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url(village, live_server_url, "/items/"))
        page.get_by_role("button", name="大字模式").click()
        header_box = page.get_by_role("searchbox", name="搜索办事事项")  # no script: a plain search field
        header_box.fill("dibao")
        header_box.press("Enter")
        page.wait_for_url("**/search/?q=dibao*")
        assert "large-text" in page.locator("html").get_attribute("class")
        assert "最低生活保障审核确认" in page.locator("ol.results > li").first.inner_text()
        assert_fits_phone(page)
        # (axe-core needs JavaScript: the large-text results are checked in the test above.)
        page.screenshot(path=str(SCREENSHOTS / "results-large-nojs.png"), full_page=True)
        response = page.goto(url(village, live_server_url, "/search/?q=低保&page=abc"))
        assert response.status == 400
        assert "page" in page.get_by_role("alert").inner_text()
    finally:
        context.close()
