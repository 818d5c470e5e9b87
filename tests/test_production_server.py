"""The production web process as the container image runs it: gunicorn with
infra/gunicorn.conf.py, `yimen.settings.production`, static files collected
and served by whitenoise. Requests arrive as the reverse proxy sends them
(X-Forwarded-Proto: https); Chromium opens citizen and staff pages under the
content security policy and reports any violation.
"""
from __future__ import annotations

import http.client
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from tests.conftest import ROOT, child_env, free_port

PASSWORD = "pass-Word-2026"


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): its tests only read it."""
    return shared_network


@pytest.fixture(scope="module")
def production_server(django_db_setup, tmp_path_factory):
    work = Path(tempfile.mkdtemp(prefix="yimen-prod-"))
    port = free_port()
    env = {
        **child_env(),
        "DJANGO_SETTINGS_MODULE": "yimen.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "YIMEN_ARCHIVE_KEY": secrets.token_urlsafe(48),
        "BASE_DOMAIN": "localhost",
        "STATIC_ROOT": str(work / "static"),
        "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
        "WEB_CONCURRENCY": "2",
        # Chromium speaks plain http here while the header claims https (as a
        # proxy would), so its Origin is http://: trusted for this test only.
        "CSRF_TRUSTED_ORIGINS": f"http://*.localhost:{port}",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set while the browser tests run; never in deployment
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert collect.returncode == 0, collect.stderr[-3000:]
    log = (work / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "infra" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "yimen.wsgi:application"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    # Ready when a worker answers, as Kubernetes' probe sees it: the master listens at once, but
    # a worker takes requests only once it has built the search vocabulary (yimen.gunicorn_hooks).
    deadline = time.monotonic() + 180
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                conn.close()
                break
            conn.close()
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start:\n" + (work / "gunicorn.log").read_text()[-3000:])
        time.sleep(0.2)
    yield port, work / "gunicorn.log"
    process.terminate()
    process.wait(30)
    log.close()
    shutil.rmtree(work, ignore_errors=True)


def fetch(port, host, path, headers=None, proxy_https=True):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {"Host": host, **({"X-Forwarded-Proto": "https"} if proxy_https else {}), **(headers or {})}
    conn.request("GET", path, headers=all_headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_https_only_with_hsts_and_a_content_security_policy(network, production_server):
    port, _ = production_server
    host = network.village.primary_host
    # Plain HTTP is sent to HTTPS.
    response, _ = fetch(port, host, "/", proxy_https=False)
    assert response.status == 301 and response.getheader("Location") == f"https://{host}/"
    response, body = fetch(port, host, "/")
    assert response.status == 200 and network.village.name in body.decode()
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    csp = response.getheader("Content-Security-Policy")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    # A host that is no point's domain gets nothing.
    response, _ = fetch(port, "evil.example.com", "/")
    assert response.status in (400, 404)


def test_static_files_are_served_compressed_and_cached_for_good(network, production_server):
    port, _ = production_server
    host = network.village.primary_host
    _, login = fetch(port, host, "/admin/login/")
    css = re.search(r'href="(/static/wagtailadmin/css/core\.[0-9a-f]{12}\.css)"', login.decode())
    assert css, "admin CSS is linked under its hashed name"
    response, body = fetch(port, host, css.group(1), {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "max-age=315360000" in response.getheader("Cache-Control")
    assert "immutable" in response.getheader("Cache-Control")


def test_probes_metrics_and_json_logs_of_the_running_server(network, production_server):
    port, log = production_server
    response, body = fetch(port, "10.0.3.7:8000", "/readyz", proxy_https=False)
    assert response.status == 200, body
    assert json.loads(body)["down"] == []
    for _ in range(6):  # spread over both workers
        assert fetch(port, network.village.primary_host, "/")[0].status == 200
    assert fetch(port, network.village.primary_host, "/no-such-guide/")[0].status == 404
    response, body = fetch(port, "10.0.3.7:8000", "/metrics", proxy_https=False)
    text = body.decode()
    total = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith('yimen_http_requests_total{') and 'status="2xx"' in line)
    assert total >= 6, "metrics are summed over every gunicorn worker"
    time.sleep(0.5)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    not_found = [e for e in entries if e.get("logger") == "django.request" and "no-such-guide" in e["message"]]
    assert not_found and not_found[0]["level"] == "WARNING"
    assert not_found[0]["schema"] == network.village.schema_name
    access = [e for e in entries if e.get("logger") == "gunicorn.access" and e["path"] == "/no-such-guide/"]
    assert access and access[0]["status"] == 404
    # Each worker builds the search vocabulary before taking requests (yimen.gunicorn_hooks);
    # one still building has taken none of the requests above, so its line may come later.
    deadline = time.monotonic() + 120
    while True:
        ready = [e for e in (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
                 if e.get("logger") == "yimen.gunicorn_hooks"]
        if len(ready) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(ready) >= 2 and all("search vocabulary built before the first request" in e["message"] for e in ready)


WATCH_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', e =>
  console.error('CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));
"""


@pytest.mark.browser
def test_pages_satisfy_the_content_security_policy(network, production_server, browser):
    """Citizen pages and the Wagtail admin (sign-in, dashboard, page editor,
    documents) run under the policy with no violation reported. In the run's
    one Chromium (conftest's `browser`), in a context of its own."""
    port, _ = production_server
    village = network.village
    base = f"http://{village.primary_host}:{port}"
    editor = network.user("editor", village, "admin")
    # The suite hashes with MD5 for speed; production accepts only its own hashers.
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    editor.password = hasher.encode(PASSWORD, hasher.salt())
    editor.save(update_fields=["password"])
    with tenant_context(village):
        from wagtail.models import Page

        home_pk = Page.objects.get(depth=2).pk
    violations, statuses = [], {}
    # As the reverse proxy would: the request arrived over HTTPS.
    context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"})
    try:
        context.set_default_timeout(20_000)
        context.add_init_script(WATCH_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda m: violations.append(f"{page.url}: {m.text}")
                if "CSP-VIOLATION" in m.text or "Content Security Policy" in m.text else None)
        page.goto(f"{base}/")
        assert page.locator("h1").inner_text().strip() == village.name
        page.goto(f"{base}/admin/login/")
        page.fill("input[name=username]", editor.username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form.login-form button[type=submit]")
        page.locator(".w-dashboard").wait_for(state="visible")  # signed in under the policy
        cookies = {c["name"]: c for c in context.cookies()}
        for path in (f"/admin/pages/{home_pk}/", f"/admin/pages/{home_pk}/edit/", "/admin/documents/"):
            response = page.goto(f"{base}{path}")
            statuses[path] = response.status if response else None
            page.wait_for_load_state("networkidle")
        # The scripts really ran: the rich text editor and the publishing schedule's
        # date choosers (started from a static file, not inline) are on the page.
        page.goto(f"{base}/admin/pages/{home_pk}/edit/")
        page.locator(".Draftail-Editor").first.wait_for(state="attached")
        page.wait_for_function("document.querySelectorAll('.xdsoft_datetimepicker').length >= 2")
    finally:
        context.close()
    assert statuses == {f"/admin/pages/{home_pk}/": 200, f"/admin/pages/{home_pk}/edit/": 200,
                        "/admin/documents/": 200}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    assert cookies["csrftoken"]["secure"] and cookies["csrftoken"]["httpOnly"]
    assert violations == [], "\n".join(violations)
