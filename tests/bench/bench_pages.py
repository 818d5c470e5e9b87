"""Guide pages under load: requests per second and latency of a village's
item guide, its home page and its catalogue, against a static file served by
the same server in the same run (the ratio is the cost of a page over the
cheapest possible answer). Each page twice: from the page cache once it is
stored (cms.page_cache, what citizens get after the first view), and made
every time by a second server without the cache (what the first view costs).

Server: gunicorn (gthread, the production server of infra/), DEBUG off,
static files from whitenoise. Load: wrk (Debian package; installed by this
benchmark when missing and run as root), from this same 2-core machine.

    python3 infra/yimen.py bench bench_pages
    BENCH_PAGES_LOAD=0 python3 infra/yimen.py bench bench_pages   # one request alone only

Then "one request alone" in one process, for each page made each time (the
second server's settings, no page cache), as a first view (cache on, just
invalidated: made and stored) and cached: wall time, the Python time of the
request and queries. Those hold on a busy machine; requests per second do not,
so each wrk run also prints the server's CPU time per request and how the
machine's CPU was shared meanwhile (the server, and the rest: wrk, PostgreSQL,
anything else running): a low rate with the server far below 100 % of the
cores and the rest high was a busy machine, not a slow page.
BENCH_PAGES_REPEATS (50) requests each; YIMEN_BENCH_DURATION (15s) of wrk per target.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.common import ROOT, machine, setup_django

DURATION = os.environ.get("YIMEN_BENCH_DURATION", "15s")
# BENCH_PAGES_LOAD=0: only "one request alone" (no gunicorn, no wrk): in-process figures hold under load.
LOAD = os.environ.get("BENCH_PAGES_LOAD", "1") != "0"
REPEATS = int(os.environ.get("BENCH_PAGES_REPEATS", "50"))
WARM_UP = "3s"
CONNECTIONS = 16
WORKERS = 2


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: sudo apt-get install wrk")
    print("installing Debian's wrk …", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(wrk: str, port: int, host: str, path: str, duration: str = DURATION) -> dict:
    out = subprocess.run([wrk, "-t2", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", "-H", f"Host: {host}",
                          f"http://127.0.0.1:{port}{path}"], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {"rps": rps, "p50": pct(50), "p99": pct(99), "errors": int(errors.group(1)) if errors else 0,
            "requests": int(re.search(r"(\d+) requests in", out).group(1))}


# Where the CPU went during a run of wrk (Linux /proc): the server's processes
# against the whole machine. A page's rate is its server's CPU per request only
# while the server gets the cores; on a machine shared with other work it is
# not, and these figures say which case a run was.
TICK = os.sysconf("SC_CLK_TCK")


def server_cpu(master: int) -> float:
    """CPU seconds of a gunicorn master and its workers."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(stat.parent.name) == master or int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the machine since boot, every core."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / TICK, sum(fields) / TICK


def measured(wrk: str, server: subprocess.Popen, port: int, host: str, path: str) -> dict:
    own_before, (busy_before, every_before) = server_cpu(server.pid), machine_cpu()
    result = load(wrk, port, host, path)
    own, (busy, every) = server_cpu(server.pid), machine_cpu()
    own, busy, every = own - own_before, busy - busy_before, every - every_before
    result["cpu_ms"] = 1000 * own / max(result["requests"], 1)
    result["server_share"] = 100 * own / every  # of all cores
    result["others_share"] = 100 * max(busy - own, 0) / every  # wrk, PostgreSQL and whatever else runs
    return result


def in_process(point, path: str, mode: str, repeats: int = REPEATS) -> dict:
    """What one request costs the server alone, no load: wall time, the Python
    time of this thread (the server's own work; the database's is the rest of
    the wall time) and queries, medians of `repeats`. Modes:
    - "cached": from the page cache once stored;
    - "first view": the page cache on, the point's generation bumped before each
      request (as an edit would), so the page is made and stored again;
    - "made": without the page cache middleware (the second server's settings,
      YIMEN_PAGE_CACHE=off): what a signed-in editor, and every page before the
      cache, costs."""
    import statistics

    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from cms import page_cache

    middleware = settings.MIDDLEWARE
    if mode == "made":
        middleware = [m for m in middleware if m != "cms.page_cache_middleware.PageCacheMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        client = Client(HTTP_HOST=point.primary_host)
        assert client.get(path).status_code == 200  # warm
        connection.set_schema_to_public()
        times, cpu, queries = [], [], []
        for _ in range(repeats):
            if mode == "first view":
                page_cache.point_changed(point)
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.thread_time()
                client.get(path)
                cpu.append(time.thread_time() - started_cpu)
                times.append(time.perf_counter() - started)
            queries.append(len(captured.captured_queries))
            connection.set_schema_to_public()  # the next request switches schema again, as a server's does
    return {"ms": 1000 * statistics.median(times), "cpu": 1000 * statistics.median(cpu),
            "queries": statistics.median(queries)}


def alone(figures: dict) -> str:
    return f"{figures['ms']:6.2f} ms (Python {figures['cpu']:5.2f} ms), {figures['queries']:.0f} queries"


def start_server(env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "yimen.wsgi:application", "-b",
                               f"127.0.0.1:{port}", "-w", str(WORKERS), "-k", "gthread", "--threads", "4",
                               "--log-level", "warning"], env=env, cwd=ROOT)
    return server, port


def wait_for(port: int, host: str) -> None:
    deadline = time.monotonic() + 60
    while subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {host}",
                          f"http://127.0.0.1:{port}/static/cms/site.css"]).returncode:
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.3)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:  # a loaded machine: it had its minute
        server.kill()
        server.wait()


def one_request_alone(point, pages: list[tuple[str, str]]) -> None:
    print(f"\none request alone, in one process (Django test client, median of {REPEATS}); "
          f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, path in pages:
        for mode in ("made", "first view", "cached"):
            print(f"  {label:44} {mode:10} {alone(in_process(point, path, mode))}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    wrk = ensure_wrk() if LOAD else ""
    setup_django()
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from cms.models import ItemGuidePage
    from standards.demo import load_demo_catalogue
    from tenants.onboarding import PointSpec, onboard_point

    print(f"machine: {machine()}")
    call_command("deploy_points", verbosity=0)
    load_demo_catalogue(progress=lambda *a: None)
    onboard_point(PointSpec(name="基准县", slug="bench-county", tier="county", region_code="700001000000",
                            latitude=28.2, longitude=112.6, address="县市民之家", phone="0731-86200000"))
    onboard_point(PointSpec(name="基准镇", slug="bench-town", tier="township", region_code="700001101000",
                            parent_slug="bench-county", latitude=28.21, longitude=112.61))
    village = onboard_point(PointSpec(name="基准村", slug="bench-village", tier="village",
                                      region_code="700001101201", parent_slug="bench-town",
                                      latitude=28.22, longitude=112.62, address="村委会一楼"))
    with tenant_context(village):
        guide = max(ItemGuidePage.objects.live().select_related("standard_version"),
                    key=lambda p: len(p.standard["materials"]))
    pages = [(f"item guide /items/{guide.code}/", f"/items/{guide.code}/"), ("home page /", "/"),
             ("catalogue /items/", "/items/")]
    if LOAD:
        under_load(wrk, village, pages)
    one_request_alone(village, pages)


def under_load(wrk: str, village, pages: list[tuple[str, str]]) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yimen.settings.bench_web",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT,
                   check=True)
    # The same server twice: with the page cache (the settings' own middleware)
    # and without it (YIMEN_PAGE_CACHE=off drops it: every request makes the page).
    cached_server, cached_port = start_server(env)
    plain_server, plain_port = start_server({**env, "YIMEN_PAGE_CACHE": "off"})
    try:
        host = village.primary_host
        wait_for(cached_port, host)
        wait_for(plain_port, host)
        servers = {cached_port: cached_server, plain_port: plain_server}
        targets = [("static file /static/cms/site.css", "/static/cms/site.css", cached_port)]
        targets += [(f"{label} · cached", path, cached_port) for label, path in pages]
        targets += [(f"{label} · made each time", path, plain_port) for label, path in pages]
        print(f"\ngunicorn {WORKERS} workers × 4 threads; wrk 2 threads, {CONNECTIONS} connections, {DURATION} each"
              f" after {WARM_UP} of warm-up; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        results = {}
        for label, path, port in targets:
            load(wrk, port, host, path, WARM_UP)  # warm-up (caches, connections; fills the page cache)
            results[label] = measured(wrk, servers[port], port, host, path)
            r = results[label]
            print(f"  {label:58} {r['rps']:8.1f} req/s · p50 {r['p50']:.1f} ms · p99 {r['p99']:.1f} ms"
                  f" · server CPU {r['cpu_ms']:.1f} ms/request · CPU of both cores: server {r['server_share']:.0f} %,"
                  f" the rest {r['others_share']:.0f} %"
                  f"{' · ' + str(r['errors']) + ' errors' if r['errors'] else ''}", flush=True)
        static = results[targets[0][0]]["rps"]
        print()
        for label, _, _ in targets[1:]:
            rps = results[label]["rps"]
            print(f"  {label:58} {100 * rps / static:5.1f} % of the static file's rate"
                  f" (static ÷ page {static / rps:.1f}x)")
        for label, _ in pages:
            cached, plain = results[f"{label} · cached"]["rps"], results[f"{label} · made each time"]["rps"]
            print(f"  {label:58} cached ÷ made each time: {cached / plain:.1f}x")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        stop(cached_server)
        stop(plain_server)


if __name__ == "__main__":
    main()
