"""Smoke tests in headless Chromium (tests/browser.py): what a citizen and staff actually see."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import sign_in, url

pytestmark = pytest.mark.browser
SCREENSHOT = Path("/tmp/yimen-home.png")


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test signs in users of its own."""
    return shared_network


def assert_on_dashboard(page, point) -> None:
    parts = urlsplit(page.url)
    assert parts.hostname == point.primary_host, page.url
    assert parts.path == "/admin/", page.url
    page.locator(".w-dashboard").wait_for(state="visible")
    assert page.locator("form.login-form").count() == 0


def assert_on_login_page(page, point) -> None:
    parts = urlsplit(page.url)
    assert parts.hostname == point.primary_host, page.url
    assert parts.path == "/admin/login/", page.url
    page.locator("form.login-form input[name=password]").wait_for(state="visible")
    assert page.locator(".w-dashboard").count() == 0


def test_citizen_sees_the_village_home_page_on_a_phone(browser, network, live_server_url):
    village = network.village
    context = browser.new_context(viewport={"width": 375, "height": 740},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        response = page.goto(url(village, live_server_url))
        assert response is not None and response.status == 200

        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        heading = page.locator("h1")
        assert heading.count() == 1
        assert heading.inner_text().strip() == village.name
        assert heading.is_visible()

        facts = page.locator("dl.facts")
        for text in (village.address, village.hours, village.phone):
            item = facts.get_by_text(text, exact=True)
            assert item.is_visible(), f"{text!r} not visible"
        assert page.locator(f'a[href="tel:{village.phone}"]').is_visible()

        # The viewport meta makes the page fit a phone: no sideways scrolling.
        assert page.evaluate("window.innerWidth") == 375
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, f"page is {scroll_width}px wide on a 375px phone"

        # A skip link to the main content: first in tab order, shown on focus.
        skip = page.get_by_role("link", name="跳到正文")
        assert skip.count() == 1
        assert skip.get_attribute("href") == "#main"
        assert page.locator("main#main").count() == 1
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "跳到正文"
        box = skip.bounding_box()
        assert box is not None and box["x"] >= 0, "focused skip link is off screen"
        page.evaluate("document.activeElement.blur()")  # screenshot without the focused link

        page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        context.close()


def test_staff_sign_in_is_scoped_to_their_own_point(browser, network, live_server_url):
    editor = network.user("editor", network.village, "editor")
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, network.village, live_server_url, editor.username)
        assert_on_dashboard(page, network.village)

        # Same browser, another village's admin: not signed in there.
        page.goto(url(network.other_village, live_server_url, "/admin/"))
        assert_on_login_page(page, network.other_village)

        # And the sign-in at the first village still holds.
        page.goto(url(network.village, live_server_url, "/admin/"))
        assert_on_dashboard(page, network.village)
    finally:
        context.close()


def test_township_admin_enters_a_village_without_a_second_password(browser, network, live_server_url):
    admin = network.user("townadmin", network.township, "admin")
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, network.township, live_server_url, admin.username)
        assert_on_dashboard(page, network.township)

        page.goto(url(network.township, live_server_url, "/admin/network/"))
        assert page.title().startswith("下级服务点"), page.title()
        row = page.locator("table.listing tbody tr").filter(has_text=network.village.name)
        assert row.count() == 1
        # Only the township's own village is below it.
        assert page.locator("table.listing").get_by_text(network.other_village.name).count() == 0
        enter = row.locator("form button[type=submit]", has_text="进入")
        assert enter.is_visible()

        with page.expect_navigation(url=lambda u: urlsplit(u).hostname == network.village.primary_host
                                    and urlsplit(u).path.startswith("/enter/")):
            enter.click()
        # The village asks before signing in (a bare link signs nobody in).
        assert page.get_by_text(admin.username).first.is_visible()
        with page.expect_navigation(url=lambda u: urlsplit(u).path == "/admin/"):
            page.get_by_role("button", name="进入本服务点").click()
        assert_on_dashboard(page, network.village)
        assert page.locator("input[name=password]").count() == 0
    finally:
        context.close()
