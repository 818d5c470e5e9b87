"""A citizen on a phone in headless Chromium: browse a village point, read a
guide, print it; axe-core finds no WCAG 2.1 A/AA violations; large text stays
on from page to page (and works without JavaScript)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SCREENSHOTS = Path("/tmp/yimen-citizen")


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): its citizens only read."""
    return shared_network


@pytest.fixture
def citizen_browser(browser):
    return browser


def url(point, port: int, path: str = "/") -> str:
    return f"http://{point.primary_host}:{port}{path}"


def assert_fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a 375px phone"


def assert_no_wcag_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.response["testEngine"]["name"] == "axe-core" and results.response["url"] == page.url
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def largest_guide_code(point) -> str:
    """The point's guide with the most materials: the hardest to fit on one page."""
    from django_tenants.utils import tenant_context

    from cms.models import ItemGuidePage

    with tenant_context(point):
        pages = ItemGuidePage.objects.live().select_related("standard_version")
        return max(pages, key=lambda p: (len(p.standard["materials"]), len(p.standard["conditions"]))).code


def test_citizen_browses_a_theme_reads_a_guide_and_prints_it_on_a_phone(citizen_browser, network,
                                                                         live_server_url):
    village = network.village
    context = citizen_browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(url(village, live_server_url))
        assert page.locator("h1").inner_text() == village.name
        search = page.get_by_role("combobox", name="搜索办事事项")  # the search box, with suggestions
        assert search.is_visible()
        assert_fits_phone(page)

        # A life event (个人 theme) from the home page …
        tile = page.locator("section[aria-labelledby=person-heading] .tiles a").first
        theme = tile.locator("span").first.inner_text()
        count = int(re.search(r"(\d+) 项", tile.inner_text()).group(1))
        tile.click()
        page.wait_for_url(re.compile(r"/themes/"))
        assert page.locator("h1").inner_text() == theme
        guides = page.locator("ul.guides > li a.name")
        assert guides.count() == count
        assert_fits_phone(page)

        # … one of its guides …
        first = guides.first
        name = first.inner_text()
        first.click()
        page.wait_for_url(re.compile(r"/items/YM-"))
        assert page.locator("h1").inner_text() == name
        table = page.locator("table.materials")
        assert table.is_visible()
        assert table.locator("thead th").all_inner_texts() == ["材料名称", "是否必需", "材料形式", "份数", "来源"]
        assert table.locator("tbody tr").count() >= 1
        assert page.get_by_text("法定办结时限").is_visible()
        assert page.locator(".where dd").filter(has_text=village.hours).is_visible()
        qr = page.locator(".qr img")
        qr.scroll_into_view_if_needed()
        assert qr.is_visible() and page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
        assert_fits_phone(page)
        page.screenshot(path=str(SCREENSHOTS / "guide.png"), full_page=True)

        # … and its printable view: one A4 page with the QR code on it.
        page.get_by_role("link", name="打印版").click()
        page.wait_for_url(re.compile(r"/print/$"))
        page.emulate_media(media="print")
        assert page.locator("h1").inner_text() == name
        qr = page.locator(".qr-figure img")
        assert qr.is_visible() and page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
        assert not page.locator(".site-nav").is_visible() and not page.locator(".text-size").is_visible()
        assert page.locator("table.materials").is_visible()
        assert pdf_pages(page.pdf(format="A4", print_background=True)) == 1
    finally:
        context.close()


def test_the_longest_village_guide_prints_on_one_a4_page(citizen_browser, network, live_server_url):
    code = largest_guide_code(network.village)
    context = citizen_browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(url(network.village, live_server_url, f"/items/{code}/print/"))
        page.emulate_media(media="print")
        assert page.locator("table.materials tbody tr").count() >= 5
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf_pages(pdf) == 1, f"{code} prints on {pdf_pages(pdf)} pages"
        page.screenshot(path=str(SCREENSHOTS / "print.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "large-text"])
def test_axe_finds_no_wcag_violations_on_the_citizen_pages(citizen_browser, network, live_server_url, large):
    village = network.village
    context = citizen_browser.new_context(**PHONE)
    try:
        if large:
            context.add_cookies([{"name": "yimen_text", "value": "large", "url": url(village, live_server_url)}])
        page = context.new_page()
        page.goto(url(village, live_server_url))
        assert ("large-text" in (page.locator("html").get_attribute("class") or "")) is large
        theme_url = page.locator("section[aria-labelledby=person-heading] .tiles a").first.get_attribute("href")
        page.goto(url(village, live_server_url, theme_url))
        guide_url = page.locator("ul.guides a.name").first.get_attribute("href")
        for path in ("/", theme_url, "/items/", guide_url, f"{guide_url}print/"):
            page.goto(url(village, live_server_url, path))
            assert page.locator("h1").count() == 1
            assert_no_wcag_violations(page)
            assert_fits_phone(page)
        page.emulate_media(media="print")
        assert_no_wcag_violations(page)
    finally:
        context.close()


def test_large_text_toggle_stays_on_while_browsing_without_javascript(citizen_browser, network, live_server_url):
    village = network.village
    context = citizen_browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url(village, live_server_url))
        html = page.locator("html")
        root_size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
        normal = page.evaluate(root_size)
        toggle = page.get_by_role("button", name="大字模式")
        assert toggle.get_attribute("aria-pressed") == "false"

        toggle.click()
        page.wait_for_load_state()
        assert urlsplit_path(page.url) == "/"  # back where the citizen was
        assert "large-text" in html.get_attribute("class")
        assert page.evaluate(root_size) >= normal * 1.3
        assert page.get_by_role("button", name="大字模式").get_attribute("aria-pressed") == "true"

        # Still large after following links: a theme, a guide, the print view.
        page.locator("section[aria-labelledby=person-heading] .tiles a").first.click()
        page.wait_for_url(re.compile(r"/themes/"))
        assert "large-text" in html.get_attribute("class")
        assert_fits_phone(page)
        page.locator("ul.guides a.name").first.click()
        page.wait_for_url(re.compile(r"/items/YM-"))
        assert "large-text" in html.get_attribute("class")
        assert page.evaluate(root_size) >= normal * 1.3
        assert_fits_phone(page)
        page.screenshot(path=str(SCREENSHOTS / "guide-large.png"), full_page=True)

        # Switched off again from the guide page, and it stays off.
        guide = page.url
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_url(guide)
        assert "large-text" not in (html.get_attribute("class") or "")
        page.goto(url(village, live_server_url, "/items/"))
        assert page.evaluate(root_size) == normal
    finally:
        context.close()


def urlsplit_path(address: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(address).path


@pytest.fixture(autouse=True, scope="module")
def _screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
