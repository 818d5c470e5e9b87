"""Opens a point's pages in headless Chromium under the content security
policy and prints one JSON line: what it saw and every violation reported.

Run by tests/test_production_server.py in a process of its own:
    python tests/csp_browser.py BASE_URL USERNAME PASSWORD HOME_PAGE_ID
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# As tests/test_browser.py (kept in step by hand: importing it would pull in pytest fixtures).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WATCH_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', e =>
  console.error('CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));
"""


def main(base: str, username: str, password: str, home_pk: str) -> dict:
    report: dict = {"violations": [], "statuses": {}}
    home = tempfile.mkdtemp(prefix="yimen-chromium-")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                        chromium_sandbox=False, env={**os.environ, "HOME": home})
            # As the reverse proxy would: the request arrived over HTTPS.
            context = browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-Proto": "https"})
            context.set_default_timeout(20_000)
            context.add_init_script(WATCH_VIOLATIONS)
            page = context.new_page()
            page.on("console", lambda m: report["violations"].append(f"{page.url}: {m.text}")
                    if "CSP-VIOLATION" in m.text or "Content Security Policy" in m.text else None)
            page.goto(f"{base}/")
            report["heading"] = page.locator("h1").inner_text().strip()
            page.goto(f"{base}/admin/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            with page.expect_navigation():
                page.click("form.login-form button[type=submit]")
            page.locator(".w-dashboard").wait_for(state="visible")
            report["dashboard"] = True
            report["cookies"] = {c["name"]: {"secure": c["secure"], "httpOnly": c["httpOnly"]}
                                 for c in context.cookies()}
            for path in (f"/admin/pages/{home_pk}/", f"/admin/pages/{home_pk}/edit/", "/admin/documents/"):
                response = page.goto(f"{base}{path}")
                report["statuses"][path] = response.status if response else None
                page.wait_for_load_state("networkidle")
            page.goto(f"{base}/admin/pages/{home_pk}/edit/")
            page.locator(".Draftail-Editor").first.wait_for(state="attached")
            report["rich_text_editor"] = True
            page.wait_for_function("document.querySelectorAll('.xdsoft_datetimepicker').length >= 2")
            report["date_choosers"] = page.evaluate("document.querySelectorAll('.xdsoft_datetimepicker').length")
            browser.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return report


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5]), ensure_ascii=False))
