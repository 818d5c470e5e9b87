"""Headless Chromium for the browser tests: Debian's `chromium` (/usr/bin/chromium)
driven by the Python `playwright` package; no Playwright-downloaded browser is
ever used. Each point is served at http://<slug>.localhost:<port>/ by the
`live_server_url` runserver process; Chromium resolves `*.localhost` to loopback.

The session fixture `browser` (tests/conftest.py) is the one Playwright
instance of a run: Playwright's sync API cannot start twice in one thread.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "pass-Word-2026"
TIMEOUT_MS = 15_000


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def launch(live_server_url):
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
