"""Smoke tests in headless Chromium: what a citizen and staff actually see.

Debian's `chromium` (/usr/bin/chromium) is driven by the Python `playwright`
package; no Playwright-downloaded browser is ever used. Each point is served at
http://<slug>.localhost:<port>/ by the `live_server_url` runserver process;
Chromium resolves `*.localhost` to loopback itself.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "pass-Word-2026"
SCREENSHOT = Path("/tmp/yimen-home.png")
TIMEOUT_MS = 15_000


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(scope="session")
def browser(live_server_url):
    """One headless Chromium for the session; each test opens its own context
    (own cookie jar) with `browser.new_context()`.

    Depends on `live_server_url` so the server process starts before the
    environment change below (it must not inherit it).
    """
    if not CHROMIUM.exists() and not _is_root():
        pytest.skip(f"{CHROMIUM} is missing and we are not root (install Debian's "
                    "`chromium` package; the test runner does this as root)")
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing; as root the test runner installs it"
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, so
    # Django refuses ORM calls (SynchronousOnlyOperation) in the fixtures that
    # make points and users once the browser is up. Those calls are plain
    # synchronous code in this one thread, which is what the flag allows.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    home = tempfile.mkdtemp(prefix="yimen-chromium-")
    try:
        with sync_playwright() as p:
            # launch() gives Chromium a fresh temporary --user-data-dir of its own
            # (removed on close); HOME points at a temp dir so nothing lands in ~.
            chromium = p.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                chromium_sandbox=False, env={**os.environ, "HOME": home},
            )
            try:
                yield _Browser(chromium)
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
        shutil.rmtree(home, ignore_errors=True)


class _Browser:
    """Hands out isolated contexts with the site's language and our timeouts."""

    def __init__(self, chromium):
        self._chromium = chromium

    def new_context(self, **kwargs):
        kwargs.setdefault("locale", "zh-CN")
        context = self._chromium.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        return context


def url(point, port: int, path: str = "/") -> str:
    return f"http://{point.primary_host}:{port}{path}"


def sign_in(page, point, port: int, username: str) -> None:
    page.goto(url(point, port, "/admin/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form.login-form button[type=submit]")


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
                                    and urlsplit(u).path == "/admin/"):
            enter.click()
        assert_on_dashboard(page, network.village)
        assert page.locator("input[name=password]").count() == 0
    finally:
        context.close()
