"""Catalogue search at the scale of a county network: Yimen's search on
PostgreSQL and on Elasticsearch against Wagtail's stock search (its database
backend, point by point), in the same run.

1. Build: BENCH_SEARCH_POINTS points (default 1000) in one county network —
   the county point 439901000000 and N-1 points below it, 439901XXX000
   (townships for XXX 001–399; onboarding keeps 400–999 for parks, so points
   400 and up are parks: 1000 points at most), within ~30 km of (28.2, 112.6).
   The demo catalogue is published first with every item accepted at all four
   tiers, so every point adopts all 223 items (223 × N documents).
2. Index: `reindex` timed on PostgreSQL, then into a fresh Elasticsearch index
   (a local node on port 9260, data in .data/bench/es-search).
3. Load: gunicorn (2 workers × 4 threads, DEBUG off) with each way in turn —
   Yimen on PostgreSQL, Yimen on Elasticsearch (`/api/search`), stock Wagtail
   (`/bench/stock-search`, tests/bench/search_urls.py) — at scope=point and
   scope=network on the county's host. wrk (2 threads, 16 connections, 15 s
   per target after a warm-up run of the same length) cycles through the
   relevance set's queries; its Lua done() prints the percentiles. Stock
   network search visits every point's schema per request, so it is measured
   with a bounded run of sequential requests (one connection) instead. Any
   answer other than 200 stops the benchmark; answers slower than 60 s are
   reported as timeouts. The search log (search_searchlog) says which backend
   answered, so a fall-back from Elasticsearch to PostgreSQL under load shows.
4. Relevance at this scale (tests/relevance.py): recall@1, recall@5 and MRR at
   scope=point on the county point, for the three ways. Stock Wagtail finds
   nothing for most of the everyday, pinyin and typo queries, which also keeps
   its requests cheap: compare speed together with relevance.

Two query mixes for each: hot (the relevance queries cycled) and cold
(tests/bench/search_cold.py: generated variants — typos, pinyin, initials,
traditional characters, homophones, everyday phrasings — a fresh slice of
9,000 for every warm-up and run, so no query repeats and no cache answers).
The cold figures are the ones that count. Before the first way that reads
Elasticsearch, the node serves BENCH_SEARCH_NODE_WARMUP (60 s) of cold
searches, as a node in service would have: its JIT's first minutes are not
what a county's node spends per search. BENCH_SEARCH_BASELINE=<checkout>
also measures another checkout's code on the same network ("before");
BENCH_SEARCH_REUSE=1 with tests/bench/run_search_kept.py measures again
without building; BENCH_SEARCH_BACKENDS=postgres leaves Elasticsearch out.

    BENCH_SEARCH_POINTS=100 python3 infra/yimen.py bench bench_search
"""
from __future__ import annotations

import http.client
import io
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from itertools import cycle
from urllib.parse import quote

from tests.bench.bench_pages import ensure_wrk, free_port
from tests.bench.common import LOGS, ROOT, machine, setup_django, timed
from tests.bench.search_cold import cold_queries

POINTS = int(os.environ.get("BENCH_SEARCH_POINTS", "1000"))
DURATION = os.environ.get("YIMEN_BENCH_DURATION", "15s")
THREADS, CONNECTIONS, WORKERS, WORKER_THREADS = 2, 16, 2, 4
ES_PORT = 9260 + int(os.environ.get("YIMEN_PORT_OFFSET", "0") or 0)
COUNTY = "439901"
CENTRE, RADIUS_KM = (28.2, 112.6), 30.0
TOWNSHIPS_BELOW = 400  # region_code_problem: townships 001–399, parks 400–999
# Stock network search: sequential requests, at least MIN, at most MAX, no new one after BUDGET seconds.
STOCK_NETWORK_MIN, STOCK_NETWORK_MAX, STOCK_NETWORK_BUDGET = 3, 30, 45.0
STOCK_NETWORK_WARMUP = 2
WRK_TIMEOUT = "60s"  # slower answers count as timeouts (reported, not in the percentiles)
WORK = ROOT / ".data" / "bench"
# Load only, on the network and index a previous run left (same N): the database must be kept
# (infra/local/commands.py starts it fresh; tests/bench/run_search_kept.py does not).
REUSE = os.environ.get("BENCH_SEARCH_REUSE") == "1"
# Another checkout (say `git archive` of the commit before a change): its code is measured too, as
# "PG before" and "ES before", on the same network and index, in the same run.
BASELINE = os.environ.get("BENCH_SEARCH_BASELINE")
WARMUP = os.environ.get("BENCH_SEARCH_WARMUP", "5s")
# The Elasticsearch node's own warm-up, once, before the first way that reads it: a freshly started
# JVM compiles its code for minutes, and its CPU per search fell from 16 to 6 ms over the first
# 4,000 searches (one at a time, 1,000 points), so a 15 s warm-up measured the compiler more than
# the searches. A node in service runs for days; "0" measures a fresh node.
NODE_WARMUP = os.environ.get("BENCH_SEARCH_NODE_WARMUP", "60s")
# "postgres": no Elasticsearch node, index or load (when its reindex would not fit the time at hand).
PG_ONLY = os.environ.get("BENCH_SEARCH_BACKENDS") == "postgres"
COLD_SLICE = 9000  # queries a cold run may send before one repeats (more than 15 s × 500 req/s)

LUA = """-- written by tests/bench/bench_search.py: cycle through the relevance set's queries (hot mix)
-- or go once through a slice of generated queries, the threads interleaved (cold mix)
local paths = {
%(paths)s
}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  n = id * %(start)d
  bad = 0
end

function request()
  n = n + %(step)d
  return wrk.format("GET", paths[(n %% #paths) + 1])
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non200 = 0
  for _, t in ipairs(threads) do non200 = non200 + t:get("bad") end
  local e = summary.errors
  io.write(string.format("BENCH requests %%d\\n", summary.requests))
  io.write(string.format("BENCH duration_us %%d\\n", summary.duration))
  io.write(string.format("BENCH non200 %%d\\n", non200))
  io.write(string.format("BENCH socket_errors %%d\\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("BENCH timeouts %%d\\n", e.timeout))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("BENCH p%%d_us %%d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("BENCH max_us %%d\\n", latency.max))
end
"""


# --- 1. the network ------------------------------------------------------------------


def point_specs(n: int):
    from tenants.onboarding import PointSpec

    rng = random.Random(439901)

    def spot() -> tuple[float, float]:
        r, theta = RADIUS_KM * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat = CENTRE[0] + r * math.cos(theta) / 111.32
        lng = CENTRE[1] + r * math.sin(theta) / (111.32 * math.cos(math.radians(CENTRE[0])))
        return round(lat, 6), round(lng, 6)

    yield PointSpec(name="基准县", slug="bench-county", tier="county", region_code=f"{COUNTY}000000",
                    latitude=CENTRE[0], longitude=CENTRE[1], address="县市民之家", phone="0731-86200000")
    for k in range(1, n):
        lat, lng = spot()
        tier, label = ("township", "镇") if k < TOWNSHIPS_BELOW else ("park", "园区")
        yield PointSpec(name=f"基准{label}{k}", slug=f"bench-{tier}-{k:03d}", tier=tier,
                        region_code=f"{COUNTY}{k:03d}000", parent_slug="bench-county", latitude=lat, longitude=lng,
                        address=f"{label}便民服务中心 {k} 号")


def publish_catalogue_for_every_tier() -> int:
    from standards.demo import catalogue_records
    from standards.elements import TIERS
    from standards.importing import import_file

    records = catalogue_records()
    for record in records:
        record["accept_tiers"] = list(TIERS)
    data = json.dumps(records, ensure_ascii=False).encode()
    import_file(io.BytesIO(data), name="bench-search-catalogue.json", note="基准：全部层级可收件",
                operator="bench_search")
    return len(records)


def build(n: int):
    from tenants.onboarding import onboard_point

    times, county = [], None
    started = time.perf_counter()
    for i, spec in enumerate(point_specs(n), start=1):
        took, point = timed(onboard_point, spec)
        times.append(took)
        county = county or point
        if i % 50 == 0 or i == n:
            print(f"  onboarded [{i}/{n}] ({time.perf_counter() - started:.0f} s, last 50: median "
                  f"{statistics.median(times[-50:]):.3f} s/point)", flush=True)
    return county, time.perf_counter() - started, times


# --- 2. indexing ---------------------------------------------------------------------


def progress_every(step: int):
    def progress(line: str) -> None:
        found = re.match(r"\[(\d+)/(\d+)\]", line)
        if not found or int(found.group(1)) % step == 0 or found.group(1) == found.group(2):
            print(f"  {line}", flush=True)

    return progress


def start_elasticsearch():
    from infra.local.elasticsearch import LocalElasticsearch

    data = WORK / ("es-search" if ES_PORT == 9260 else f"es-search-{ES_PORT}")
    node = LocalElasticsearch(ROOT / ".cache" / "elasticsearch", data, ES_PORT)
    if node.running():
        sys.exit(f"something already answers on port {ES_PORT}; not ours, so not reused")
    if not REUSE:
        shutil.rmtree(data, ignore_errors=True)  # a fresh node: only this run's index
    node.start()
    return node


# --- 3. load -------------------------------------------------------------------------


class Server:
    """gunicorn as bench_pages runs it, with one way of searching."""

    def __init__(self, name: str, host: str, probe: str, root=ROOT, **extra: str):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yimen.settings.bench_web",
               "PYTHONPATH": os.pathsep.join([str(root), str(root / "platform")])}
        env.pop("ELASTICSEARCH_URL", None)
        env.pop("BENCH_STOCK_SEARCH", None)
        env.update(extra)
        self.name, self.host, self.port = name, host, free_port()
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = LOGS / f"bench_search-gunicorn-{name}.log"
        self.out = open(self.log, "w")
        # The production server's hooks (the vocabulary built before a worker's first request),
        # when the checkout measured has them.
        hooks = ["-c", "python:yimen.gunicorn_hooks"] if (root / "platform/yimen/gunicorn_hooks.py").exists() else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *hooks, "yimen.wsgi:application", "-b", f"127.0.0.1:{self.port}",
             "-w", str(WORKERS), "-k", "gthread", "--threads", str(WORKER_THREADS), "--timeout", "600",
             "--log-level", "warning"], env=env, cwd=root, stdout=self.out, stderr=subprocess.STDOUT)
        # The first search builds the vocabulary (8-26 s, longer on a loaded machine).
        deadline = time.monotonic() + 180
        while True:
            try:
                status, _ = get(self.port, host, probe, timeout=120)
                if status == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.tail()
                self.stop()
                sys.exit(f"gunicorn ({name}) did not start:\n{tail}")
            time.sleep(0.3)
        self.warm(probe)

    def warm(self, probe: str, seconds: float = 180) -> None:
        """Every worker builds its analysis vocabulary at its first search (8-26 s): until then its
        searches wait, and a run would measure the building. Concurrent probes reach every worker;
        warm when a round of them all answers within a second."""
        from concurrent.futures import ThreadPoolExecutor

        deadline = time.monotonic() + seconds
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            while time.monotonic() < deadline:
                took = list(pool.map(lambda _: timed(get, self.port, self.host, probe, 60)[0], range(CONNECTIONS)))
                if max(took) < 1.0:
                    return
        print(f"    WARNING: {self.name}: probes still slower than 1 s after {seconds:.0f} s", flush=True)

    def tail(self, lines: int = 40) -> str:
        self.out.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.out.close()


def get(port: int, host: str, path: str, timeout: float = 600) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def paths_for(endpoint: str, scope: str, queries: list[str]) -> list[str]:
    return [f"{endpoint}?q={quote(q, safe='')}&scope={scope}" for q in queries]


def lua_script(name: str, paths: list[str], cold: bool = False):
    """Hot: each thread cycles through the list from its own offset. Cold: the threads
    interleave (thread t sends t, t + THREADS, …), so no query is sent twice until the list is spent."""
    folder = WORK / "wrk"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"search-{name}.lua"
    script.write_text(LUA % {"paths": ",\n".join(f'  "{p}"' for p in paths),
                             "start": 1 if cold else 37, "step": THREADS if cold else 1})
    return script


def seconds(duration: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(s|m)?", duration).groups()
    return float(value) * (60 if unit == "m" else 1)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        out.append(todo.pop())
        todo += children.get(out[-1], [])
    return out


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process and its descendants so far (gunicorn's workers, PostgreSQL's
    backends), the ones that have exited included: a backend whose connection Django closes
    (CONN_MAX_AGE) exits during a run, and its CPU leaves the live processes' counts, which made
    PostgreSQL's CPU per answer negative in some runs. The parent that reaps an exited child adds
    the child's CPU to its own cutime and cstime, so each live process's utime + stime + cutime +
    cstime counts everything once (the postmaster reaps its backends, gunicorn's arbiter its workers)."""
    ticks = 0
    for pid in _descendants(root_pid):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_pid() -> int | None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            folder = cursor.fetchone()[0]
        return int(open(os.path.join(folder, "postmaster.pid")).readline())
    except Exception:  # not ours to read (another machine, another user): CPU not reported
        return None


# The Elasticsearch node's process while one runs (main): its CPU per answer is reported too,
# the part of an Elasticsearch search the app's and PostgreSQL's CPU leave out.
NODE: dict[str, int | None] = {"pid": None}


def wrk_run(wrk: str, server: Server, script, duration: str = DURATION) -> dict:
    """wrk's figures, and the CPU the app server and PostgreSQL spent per answer meanwhile: what a
    request costs the machine, which holds when other work shares it (throughput does not)."""
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--timeout", WRK_TIMEOUT, "-s", str(script),
               "-H", f"Host: {server.host}", f"http://127.0.0.1:{server.port}/"]
    database = postgres_pid()
    node = NODE["pid"]
    app_before, db_before = cpu_seconds(server.process.pid), cpu_seconds(database) if database else 0.0
    node_before = cpu_seconds(node) if node else 0.0
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds(duration) + 120)
    app_cpu = cpu_seconds(server.process.pid) - app_before
    db_cpu = cpu_seconds(database) - db_before if database else float("nan")
    node_cpu = cpu_seconds(node) - node_before if node else float("nan")
    if done.returncode:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    values = {k: int(v) for k, v in re.findall(r"^BENCH (\w+) (\d+)$", done.stdout, re.M)}
    r = {"requests": values["requests"], "rps": values["requests"] / (values["duration_us"] / 1e6),
         "p50": values["p50_us"] / 1000, "p95": values["p95_us"] / 1000, "p99": values["p99_us"] / 1000,
         "non200": values["non200"], "timeouts": values["timeouts"], "how": f"wrk c={CONNECTIONS}",
         "app_cpu_ms": 1000 * app_cpu / max(1, values["requests"]),
         "db_cpu_ms": 1000 * db_cpu / max(1, values["requests"]),
         "node_cpu_ms": 1000 * node_cpu / max(1, values["requests"])}
    errors = values["socket_errors"] - values["timeouts"]
    if r["non200"] or errors:
        raise SystemExit(f"FAILED: {server.name} {script.name}: {r['non200']} answers other than 200, "
                         f"{errors} connect/read/write errors in {r['requests']} requests\n{done.stdout}\n"
                         f"gunicorn log {server.log}:\n{server.tail()}")
    if r["timeouts"]:
        print(f"    WARNING: {r['timeouts']} requests took over {WRK_TIMEOUT} (not in the percentiles)", flush=True)
    if r["requests"] < 100:
        print(f"    WARNING: only {r['requests']} answers in {DURATION}: requests still running when wrk stopped "
              f"are not counted, so the percentiles lean fast", flush=True)
    return r


def drain(server: Server, logged: bool, limit: float = 180) -> None:
    """Wait until the server has answered what wrk left in flight (the search log stops growing), so that
    one run's backlog does not load the next."""
    if not logged:
        time.sleep(1)
        return
    started, last, still = time.monotonic(), last_log(), 0
    while still < 3 and time.monotonic() - started < limit:
        time.sleep(0.5)
        now = last_log()
        still, last = (still + 1, last) if now == last else (0, now)


def sequential_run(server: Server, paths: list[str]) -> dict:
    """A bounded run of one request at a time (for the slow stock network search)."""
    print(f"    sequential: {STOCK_NETWORK_WARMUP} warm-up requests, then {STOCK_NETWORK_MIN}–{STOCK_NETWORK_MAX} "
          f"requests, none started after {STOCK_NETWORK_BUDGET:.0f} s", flush=True)
    queries = cycle(paths)
    for _ in range(STOCK_NETWORK_WARMUP):
        status, body = get(server.port, server.host, next(queries))
        if status != 200:
            raise SystemExit(f"FAILED: {server.name}: status {status}\n{body[:500]!r}\n{server.tail()}")
    samples, started = [], time.monotonic()
    while len(samples) < STOCK_NETWORK_MAX and (len(samples) < STOCK_NETWORK_MIN
                                                 or time.monotonic() - started < STOCK_NETWORK_BUDGET):
        path = next(queries)
        took, (status, body) = timed(get, server.port, server.host, path)
        if status != 200:
            raise SystemExit(f"FAILED: {server.name} {path}: status {status}\n{body[:500]!r}\n{server.tail()}")
        samples.append(1000 * took)
        if len(samples) % 5 == 0:
            print(f"    [{len(samples)}] {time.monotonic() - started:.1f} s, last {samples[-1]:.0f} ms", flush=True)
    ordered = sorted(samples)

    def pct(p):  # nearest rank
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"requests": len(samples), "rps": len(samples) / (sum(samples) / 1000), "p50": statistics.median(samples),
            "p95": pct(95), "p99": pct(99), "non200": 0, "timeouts": 0, "how": "sequential, c=1"}


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def backends_since(mark: int) -> dict[str, int]:
    from django.db.models import Count

    from search.models import SearchLog

    return dict(SearchLog.objects.filter(pk__gt=mark).values_list("backend").annotate(n=Count("pk")))


def last_log() -> int:
    from search.models import SearchLog

    return SearchLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _es_holds(expected: int) -> bool:
    """A kept node holds the network's documents (a reused network whose node was never indexed does not)."""
    from search.backends.elastic import alias, client

    if not client().indices.exists_alias(name=alias()):
        return False
    client().indices.refresh(index=alias())
    return client().count(index=alias())["count"] == expected


# --- 4. relevance --------------------------------------------------------------------


def yimen_ranker(county, backend: str):
    from search import service
    from search.query import parse

    def rank(q: str) -> list[str]:
        answer = service.search(county, parse({"q": q, "scope": "point", "size": "10"}), lambda slug, path: path,
                                log=False)
        assert answer["backend"] == backend, f"{q!r} answered by {answer['backend']}, not {backend}"
        return [r["code"] for r in answer["results"]]

    return rank


def stock_ranker(county):
    from django_tenants.utils import tenant_context

    from cms.models import ItemGuidePage

    def rank(q: str) -> list[str]:
        with tenant_context(county):
            return [page.code for page in ItemGuidePage.objects.live().search(q).annotate_score("_score")[:10]]

    return rank


def relevance(name: str, rank) -> dict:
    from tests.relevance import measure

    took, result = timed(measure, rank)
    result["ms_per_query"] = 1000 * took / len(result["rows"])
    f = result["figures"]["all"]
    print(f"  {name:24} R@1 {f['recall@1']:.3f} · R@5 {f['recall@5']:.3f} · MRR {f['mrr']:.3f} "
          f"({result['ms_per_query']:.1f} ms/query in one process, no load)", flush=True)
    return result


# --- the run -------------------------------------------------------------------------


def main() -> None:
    if not 1 <= POINTS <= 1000:
        sys.exit("BENCH_SEARCH_POINTS: 1 to 1000 (one county: 399 township and 600 park region codes below it)")
    wrk = ensure_wrk()
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from search import backends
    from search.backends.elastic import alias, client
    from search.backends.elastic_entries import alias as entries_alias
    from search.models import SearchDocument
    from search.reindexing import reindex, reindex_entries
    from tests.relevance import table
    from tests.search_relevance import RELEVANCE

    run_started = time.perf_counter()
    print(f"machine: {machine()} · N = {POINTS} points", flush=True)
    settings.ELASTICSEARCH_URL = None
    backends.reset()
    from tenants.models import ServicePoint

    if REUSE:
        items = len(__import__("standards.demo", fromlist=["x"]).catalogue_records())
        county = ServicePoint.objects.get(slug="bench-county")
        build_time, pg_time, pg_docs = 0.0, 1.0, SearchDocument.objects.count()
        pg = {"documents": pg_docs}
        print(f"\n1–2. reusing the kept network: {ServicePoint.objects.count()} points, {pg_docs} documents",
              flush=True)
    else:
        call_command("deploy_points", verbosity=0)
        items = publish_catalogue_for_every_tier()

        # --- 1 ---
        print(f"\n1. {POINTS} points in one county network, each adopting all {items} items", flush=True)
        county, build_time, onboard_times = build(POINTS)
        print(f"  onboarding: {build_time:.1f} s in all, median {statistics.median(onboard_times):.3f} s/point")

        # --- 2 ---
        print("\n2. reindex", flush=True)
        pg_time, pg = timed(reindex, progress=progress_every(50))
        pg_docs = SearchDocument.objects.count()
        print(f"  PostgreSQL: {pg['documents']} documents of {pg['points']} points in {pg_time:.1f} s "
              f"({pg['documents'] / pg_time:.0f} documents/s); search_searchdocument holds {pg_docs}", flush=True)
    expected = items * POINTS
    if pg_docs != expected:
        raise SystemExit(f"FAILED: {pg_docs} documents, expected {items} × {POINTS} = {expected}")
    relevances = {"Yimen PostgreSQL": relevance("Yimen PostgreSQL", yimen_ranker(county, "postgres")),
                  "stock Wagtail (db)": relevance("stock Wagtail (db)", stock_ranker(county))}

    es = None if PG_ONLY else start_elasticsearch()
    NODE["pid"] = es.process.pid if es is not None and es.process is not None else None
    servers: list[Server] = []
    try:
        settings.ELASTICSEARCH_URL = None if es is None else es.url()
        backends.reset()
        if es is None:
            es_time, es_result, es_docs = 1.0, {"documents": 0}, 0
        else:
            if REUSE and _es_holds(expected):
                es_time, es_result = 1.0, {"documents": 0}
                if not client().indices.exists_alias(name=entries_alias()):  # kept from before the entries
                    took, made = timed(reindex_entries, progress=print)
                    print(f"  Elasticsearch network entries: {made['entries']} in {took:.1f} s", flush=True)
            else:
                es_time, es_result = timed(reindex, progress=progress_every(50))
            client().indices.refresh(index=alias())
            es_docs = client().count(index=alias())["count"]
            print(f"  Elasticsearch (PostgreSQL documents rebuilt as well): {es_result['documents']} documents in "
                  f"{es_time:.1f} s ({es_result['documents'] / es_time:.0f} documents/s); "
                  f"{alias()} holds {es_docs}", flush=True)
            if es_docs != expected:
                raise SystemExit(f"FAILED: Elasticsearch holds {es_docs} documents, expected {expected}")
            relevances["Yimen Elasticsearch"] = relevance("Yimen Elasticsearch",
                                                          yimen_ranker(county, "elasticsearch"))
        settings.ELASTICSEARCH_URL = None
        backends.reset()

        # --- 3 ---
        gate = os.environ.get("BENCH_SEARCH_GATE")
        if gate:  # lets one profile in-process against this network before the load
            print(f"  waiting for {gate} to exist before the load …", flush=True)
            while not os.path.exists(gate):
                time.sleep(2)
        hot = list(dict.fromkeys(q for q, _kind, _codes in RELEVANCE))
        cold = iter(cold_queries())
        host = county.primary_host
        print(f"\n3. load on {host}: gunicorn {WORKERS} workers × {WORKER_THREADS} threads; wrk {THREADS} threads, "
              f"{CONNECTIONS} connections, {DURATION} per target after a {WARMUP} warm-up run; hot mix: the "
              f"{len(hot)} relevance queries cycled; cold mix: {COLD_SLICE} generated variants per run, none "
              f"repeated (tests/bench/search_cold.py), a fresh slice for every warm-up and run", flush=True)
        ways = [("PG", "Yimen PostgreSQL", "/api/search", {}, "postgres", ROOT),
                ("stock", "stock Wagtail", "/bench/stock-search", {"BENCH_STOCK_SEARCH": "1"}, None, ROOT)]
        if es is not None:
            ways[1:1] = [("ES", "Yimen Elasticsearch", "/api/search", {"ELASTICSEARCH_URL": es.url()},
                          "elasticsearch", ROOT)]
        if BASELINE:
            from pathlib import Path

            ways[-1:-1] = [("PG-before", "PostgreSQL, before", "/api/search", {}, "postgres", Path(BASELINE))]
            if es is not None:
                ways[-1:-1] = [("ES-before", "Elasticsearch, before", "/api/search",
                                {"ELASTICSEARCH_URL": es.url()}, "elasticsearch", Path(BASELINE))]
        results: dict[tuple[str, str, str], dict] = {}
        node_warm = es is None or seconds(NODE_WARMUP) == 0
        for key, label, endpoint, extra, backend, root in ways:
            server = Server(key.lower(), host, paths_for(endpoint, "point", hot[:1])[0], root=root, **extra)
            servers.append(server)
            if backend == "elasticsearch" and not node_warm:
                print(f"  the Elasticsearch node's warm-up: {NODE_WARMUP} of cold searches at both scopes …",
                      flush=True)
                for scope in ("point", "network"):
                    wrk_run(wrk, server, lua_script(f"node-warm-up-{scope}", paths_for(
                        endpoint, scope, [next(cold) for _ in range(COLD_SLICE)]), cold=True),
                        f"{seconds(NODE_WARMUP) / 2:.0f}s")
                drain(server, logged=True)
                node_warm = True
            for scope in ("point", "network"):
                for mix in ("hot", "cold"):
                    print(f"  {label}, scope={scope}, {mix} …", flush=True)
                    mark = last_log()
                    if key == "stock" and scope == "network":
                        queries = hot if mix == "hot" else [next(cold) for _ in range(STOCK_NETWORK_MAX + 5)]
                        r = sequential_run(server, paths_for(endpoint, scope, queries))
                    else:
                        def script(name: str, key=key, scope=scope, mix=mix, endpoint=endpoint):
                            if mix == "hot":
                                return lua_script(f"{key}-{scope}-hot", paths_for(endpoint, scope, hot))
                            return lua_script(f"{key}-{scope}-cold-{name}",
                                              paths_for(endpoint, scope, [next(cold) for _ in range(COLD_SLICE)]),
                                              cold=True)
                        wrk_run(wrk, server, script("warm-up"), WARMUP)
                        drain(server, logged=bool(backend))
                        mark = last_log()
                        r = wrk_run(wrk, server, script("run"))
                        drain(server, logged=bool(backend))
                        if mix == "cold" and r["requests"] > COLD_SLICE:
                            print(f"    WARNING: {r['requests']} requests > {COLD_SLICE} queries: "
                                  f"{r['requests'] - COLD_SLICE} repeated", flush=True)
                    if backend:
                        r["backends"] = backends_since(mark)
                        wrong = {k: v for k, v in r["backends"].items() if k != backend}
                        if wrong:
                            print(f"  WARNING: {label} answered {wrong} searches from another backend "
                                  f"(fallback; see {server.log})", flush=True)
                        r["fallbacks"] = sum(wrong.values())
                    results[(scope, key, mix)] = r
                    cpu = (f" · CPU per answer: app {r['app_cpu_ms']:.2f} ms, PostgreSQL {r['db_cpu_ms']:.2f} ms, "
                           f"Elasticsearch node {r['node_cpu_ms']:.2f} ms" if "app_cpu_ms" in r else "")
                    print(f"    {r['rps']:8.1f} req/s · p50 {r['p50']:.1f} ms · p95 {r['p95']:.1f} ms · "
                          f"p99 {r['p99']:.1f} ms · {r['requests']} requests, non-200 {r['non200']}{cpu}"
                          f"{' · backends ' + str(r['backends']) if backend else ''} · load {load_average()}",
                          flush=True)
            server.stop()
    finally:
        for server in servers:
            server.stop()
        if es is not None:
            es.stop()

    # --- summary ---
    print(f"\n=== summary: catalogue search, {POINTS} points in one county network, {expected} documents ===")
    print(f"machine: {machine()}")
    print(f"onboarding {build_time:.0f} s · reindex PostgreSQL {pg_time:.1f} s ({pg_docs / pg_time:.0f} docs/s) · "
          f"reindex Elasticsearch {es_time:.1f} s ({es_docs / es_time:.0f} docs/s)")
    print(f"load: gunicorn {WORKERS}×{WORKER_THREADS}, wrk {THREADS} threads {CONNECTIONS} connections {DURATION}; "
          f"stock network: one request at a time\n")
    names = {"PG": "Yimen PostgreSQL", "ES": "Yimen Elasticsearch", "stock": "stock Wagtail",
             "PG-before": "PostgreSQL, before", "ES-before": "Elasticsearch, before"}
    print(f"{'scope':8} {'mix':5} {'way':22} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'answers':>7} "
          f"{'non-200':>7} {'req/s ÷ stock':>13} {'stock p50 ÷ p50':>15}  how")
    for scope in ("point", "network"):
        for mix in ("hot", "cold"):
            stock = results[(scope, "stock", mix)]
            for key, *_ in ways:
                r = results[(scope, key, mix)]
                notes = [r["how"]] + [f"{r[k]} {label}" for k, label in (
                    ("fallbacks", "fell back to PostgreSQL"), ("timeouts", f"over {WRK_TIMEOUT}")) if r.get(k)]
                if "app_cpu_ms" in r:  # the node's: what it spends while any way runs (an idle node too)
                    notes.append(f"CPU/answer app {r['app_cpu_ms']:.2f} ms + PostgreSQL {r['db_cpu_ms']:.2f} ms"
                                 f" + Elasticsearch node {r['node_cpu_ms']:.2f} ms")
                print(f"{scope:8} {mix:5} {names[key]:22} {r['rps']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
                      f"{r['p99']:8.1f} {r['requests']:7d} {r['non200']:7d} {r['rps'] / stock['rps']:12.1f}x "
                      f"{stock['p50'] / r['p50']:14.1f}x  {', '.join(notes)}")
    print(f"load average at the end: {load_average()}")
    empty = sum(1 for row in relevances["stock Wagtail (db)"]["rows"] if not row[3])
    print(f"(stock Wagtail answers no result at all to {empty} of the {len(RELEVANCE)} queries, which keeps it cheap)")
    print(f"\nrelevance at scope=point on the county point ({len(RELEVANCE)} queries, tests/search_relevance.py):")
    print(table({name: relevances[name] for name in ("Yimen PostgreSQL", "Yimen Elasticsearch",
                                                       "stock Wagtail (db)") if name in relevances}))
    print(f"\nwhole run: {time.perf_counter() - run_started:.0f} s")


if __name__ == "__main__":
    main()
