"""Statistics (issue 14): a county of about 1,000 points with a year of about a
million cases, built by a generator through COPY, and

1. the county dashboard, a township dashboard and the Excel export of a month:
   the data behind them read from the rollups (stats.dashboard.build, as the
   admin page and the export do) against the stock way, the same figures
   aggregated from the cases table with the ORM (stock_board below), each under
   load (LOAD threads calling it at once, each with its own connection), p50
   and p95, and the ratio; then the whole page (charts and tables) and the
   .xlsx through the web server (gunicorn 2 workers × 4 threads, DEBUG off)
   under wrk (2 threads, 16 connections), p95;
2. the rollup: the rebuild of the year (events per second) and the incremental
   run over a new day's events (stats.rollup.update, events per second);
3. how the cost grows: everything of 1. at 100 points (a tenth of the cases)
   and again at 1,000 points.

Points are ServicePoint rows only (no schemas), except the county and one
township, onboarded for real: the admin pages need their schemas for sign-in.

    python3 infra/yimen.py bench bench_stats            # 1,001 points, 1,000 cases a point
    python3 infra/yimen.py bench bench_stats --small    # 101 points, 100 cases a point (a quick run)
"""
from __future__ import annotations

import datetime as dt
import io
import os
import random
import statistics
import subprocess
import sys
import threading
import time

from tests.bench.common import LOGS, ROOT, machine, setup_django

SMALL = "--small" in sys.argv or os.environ.get("BENCH_STATS_SMALL") == "1"
CASES_PER_POINT = int(os.environ.get("BENCH_STATS_CASES_PER_POINT", "100" if SMALL else "1000"))
TOWNSHIPS_FIRST, TOWNSHIPS = 9, 50  # ×(VILLAGES + 1) + the county: 100 then 1,000 points
VILLAGES_FIRST, VILLAGES = 10, 19
LOAD = 4  # threads calling at once
SECONDS = float(os.environ.get("BENCH_STATS_SECONDS", "4" if SMALL else "10"))
DURATION = os.environ.get("YIMEN_BENCH_DURATION", "5s" if SMALL else "10s")
COUNTY6 = "700003"
TODAY = dt.date.today()
YEAR_START = TODAY - dt.timedelta(days=365)
LAST_MONTH = TODAY.replace(day=1) - dt.timedelta(days=1)  # the last whole month: the export's
HASH = "0" * 64
TZ = "+08:00"


# --- the network -----------------------------------------------------------------------

def build():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from standards.demo import load_demo_catalogue
    from tenants.models import ServicePoint
    from tenants.onboarding import PointSpec, onboard_point
    from tenants.roles import grant_role

    kept = ServicePoint.objects.filter(slug="stats-county").exists()  # a database kept from an earlier run
    if kept:
        clear()
    call_command("deploy_points", verbosity=0)
    if kept:
        return reuse()
    load_demo_catalogue(progress=lambda *a: None)
    county = onboard_point(PointSpec(name="基准县", slug="stats-county", tier="county",
                                     region_code=f"{COUNTY6}000000", latitude=28.2, longitude=112.6))
    town = onboard_point(PointSpec(name="基准镇1", slug="stats-town-101", tier="township",
                                   region_code=f"{COUNTY6}101000", parent_slug="stats-county",
                                   latitude=28.21, longitude=112.61))
    users = {}
    for point, name in ((county, "county-sup"), (town, "town-sup")):
        user = get_user_model().objects.create_user(f"bench-{name}", password="bench-Pass-2026")
        grant_role(user, point, "supervisor")
        users[point.pk] = user
    return county, town, users


def clear():
    """Start again on a database kept from an earlier run (a launcher that does not drop it): the
    generated points (rows without schemas) and every case go (TRUNCATE: the events refuse DELETE)."""
    from django.db import connection

    from tenants.models import ServicePoint

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_case, stats_rollup, stats_cursor CASCADE")
    generated = ServicePoint.objects.filter(schema_name__regex=r"^stats(gen)?_[tv]\d")
    generated.filter(tier="village").delete()  # before their townships (parent is protected)
    generated.delete()


def reuse():
    """The two onboarded points of a kept database and their supervisors."""
    from django.contrib.auth import get_user_model

    from tenants.models import ServicePoint

    county, town = ServicePoint.objects.get(slug="stats-county"), ServicePoint.objects.get(slug="stats-town-101")
    users = get_user_model().objects
    return county, town, {county.pk: users.get(username="bench-county-sup"),
                          town.pk: users.get(username="bench-town-sup")}


def add_points(townships: int, villages: int) -> list:
    """Township and village rows up to the numbers given (no schemas: rows are enough for statistics)."""
    from tenants.models import PointStatus, ServicePoint

    existing = set(ServicePoint.objects.filter(region_code__startswith=COUNTY6).values_list("region_code", flat=True))
    county = ServicePoint.objects.get(region_code=f"{COUNTY6}000000")
    new = []
    for t in range(101, 101 + townships):
        code = f"{COUNTY6}{t:03d}000"
        if code not in existing:
            new.append(ServicePoint(name=f"基准镇{t - 100}", slug=f"stats-town-{t}", tier="township", parent=county,
                                    region_code=code, schema_name=f"statsgen_t{t}", status=PointStatus.ACTIVE))
    ServicePoint.objects.bulk_create(new)
    towns = {p.region_code: p for p in ServicePoint.objects.filter(region_code__startswith=COUNTY6, tier="township")}
    villages_new = []
    for t in range(101, 101 + townships):
        for v in range(201, 201 + villages):
            code = f"{COUNTY6}{t:03d}{v:03d}"
            if code not in existing:
                villages_new.append(ServicePoint(
                    name=f"基准镇{t - 100}村{v - 200}", slug=f"stats-v-{t}-{v}", tier="village",
                    parent=towns[f"{COUNTY6}{t:03d}000"], region_code=code, schema_name=f"statsgen_v{t}_{v}",
                    status=PointStatus.ACTIVE))
    ServicePoint.objects.bulk_create(villages_new)
    return [*new, *villages_new]


# --- the cases, through COPY ---------------------------------------------------------------

def _columns(table: str) -> list[tuple[str, str, bool]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
                       "WHERE table_name = %s AND table_schema = 'public' ORDER BY ordinal_position", [table])
        return cursor.fetchall()


def _defaults(table: str) -> tuple[list[str], dict[str, str]]:
    json_lists = {"materials", "supplement_list", "tolerance_materials"}
    out = {}
    cols = _columns(table)
    for name, kind, nullable in cols:
        if name == "id":
            continue
        if nullable:
            out[name] = r"\N"
        elif kind in ("jsonb", "json"):
            out[name] = "[]" if name in json_lists else "{}"
        elif kind == "boolean":
            out[name] = "t" if name == "public" else "f"
        elif kind in ("integer", "bigint", "smallint", "numeric", "real", "double precision"):
            out[name] = "0"
        elif kind == "ARRAY":
            out[name] = "{}"
        else:
            out[name] = ""
    return [c for c, _k, _n in cols], out


def _versions():
    from standards.models import StandardItem

    found = []
    for item in StandardItem.objects.filter(current__isnull=False).select_related("current"):
        v = item.current
        if v.decide_tier in ("county", "township") and "village" in v.accept_tiers:
            found.append((item.pk, v.pk, v.name, v.department, v.decide_tier, v.promised_days))
    return found


def _workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    from cases import workdays

    days, day = [], start
    while day <= end:
        if workdays.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _stamp(day: dt.date, minute: int) -> str:
    return f"{day.isoformat()} {8 + minute // 60:02d}:{minute % 60:02d}:00{TZ}"


def generate(points: list, per_point: int, days: list[dt.date], seed: int) -> tuple[int, int, int]:
    """Cases received at the given points (villages and townships) on the given working days, with their
    events and ratings, COPYed in; returns (cases, events, ratings)."""
    from django.db import connection

    rng = random.Random(seed)
    versions = _versions()
    tree = {p.pk: p for p in points}
    from tenants.models import ServicePoint

    by_code = dict(ServicePoint.objects.filter(region_code__startswith=COUNTY6).values_list("region_code", "pk"))
    county_pk = by_code[f"{COUNTY6}000000"]
    case_cols, case_defaults = _defaults("cases_case")
    event_cols, event_defaults = _defaults("cases_caseevent")
    event_cols = [c for c in event_cols if c != "id"]
    rating_cols = ["case_id", "point_id", "grade", "comment", "channel", "rated_at"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        next_id = cursor.fetchone()[0] + 1
    work_index = {d: n for n, d in enumerate(days)}
    totals = [0, 0, 0]
    buffers = [io.StringIO(), io.StringIO(), io.StringIO()]

    def flush():
        with connection.cursor() as cursor:
            for buffer, table, cols in zip(buffers, ("cases_case", "cases_caseevent", "cases_rating"),
                                           (case_cols, event_cols, rating_cols), strict=True):
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(cols)}) FROM STDIN", buffer)
                buffer.seek(0)
                buffer.truncate()

    for pk in tree:
        point = tree[pk]
        town_pk = by_code[point.region_code[:9] + "000"]
        for _ in range(per_point):
            case_id = next_id
            next_id += 1
            item_pk, version_pk, name, department, decide_tier, promised = rng.choice(versions)
            day = rng.choice(days)
            decider = county_pk if decide_tier == "county" else town_pk
            chain = [pk] + ([town_pk] if pk != town_pk else []) + ([county_pk] if decider == county_pk else [])
            fate = rng.random()
            status = ("refused" if fate < 0.04 else "withdrawn" if fate < 0.07 else
                      "review" if fate < 0.15 else "closed")
            channel = "online" if rng.random() < 0.35 else "window"
            minute = rng.randrange(0, 480)
            events = [("receive_window", "", "received", pk, day, minute)]
            for hop in range(len(chain) - 1):
                events.append(("hand_up", "received", "received", chain[hop], day, minute + hop + 1))
            n = work_index[day]
            accept_day = days[min(n + rng.choice((0, 0, 1)), len(days) - 1)]
            values = dict(case_defaults)
            values.update(id=str(case_id), number=f"{point.region_code}-{case_id:010d}", item_id=str(item_pk),
                          version_id=str(version_pk), item_name=name, department=department, channel=channel,
                          origin_point_id=str(pk), holder_id=str(decider), deciding_point_id=str(decider),
                          passed_points="{" + ",".join(map(str, chain)) + "}", applicant_kind="person",
                          applicant_name="王某", applicant_id_number="11010519491231002X", phone="13800000000",
                          received_at=_stamp(day, minute), notify_by=day.isoformat(), updated_at=_stamp(day, minute),
                          status=status)
            if status == "refused":
                events.append(("refuse", "received", "refused", decider, accept_day, minute + 10))
            elif status == "withdrawn":
                events.append(("withdraw", "received", "withdrawn", pk, day, minute + 10))
            else:
                due = days[min(work_index[accept_day] + promised, len(days) - 1)]
                events.append(("accept", "received", "accepted", decider, accept_day, minute + 10))
                values.update(accepted_at=_stamp(accept_day, minute + 10), due_date=due.isoformat())
                if status == "closed":
                    late = rng.random() < 0.05
                    took = promised + rng.randint(1, 3) if late else rng.randint(0, max(promised, 0))
                    decided = days[min(work_index[accept_day] + took, len(days) - 1)]
                    delivered = days[min(work_index[decided] + rng.choice((0, 1, 2)), len(days) - 1)]
                    method = rng.choice(("window", "post", "electronic"))
                    values.update(decided_at=_stamp(decided, minute + 20), granted="t", delivery=method,
                                  delivered_at=_stamp(delivered, minute + 30), closed_at=_stamp(delivered, minute + 31),
                                  holder_id=str(pk))
                    events += [("decide", "accepted", "decided", decider, decided, minute + 20),
                               ("deliver", "decided", "delivered", pk, delivered, minute + 30),
                               ("close", "delivered", "closed", pk, delivered, minute + 31)]
                    if rng.random() < 0.6:
                        grade = rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 5, 2))[0]
                        buffers[2].write("\t".join((str(case_id), str(pk), str(grade), "", "window",
                                                    _stamp(delivered, minute + 40))) + "\n")
                        totals[2] += 1
            buffers[0].write("\t".join(values[c] if c != "id" else str(case_id) for c in case_cols) + "\n")
            for seq, (action, before, after, at_point, on, m) in enumerate(events, 1):
                row = dict(event_defaults)
                row.update(case_id=str(case_id), seq=str(seq), action=action, from_status=before, to_status=after,
                           actor_name="基准", point_id=str(at_point), role="clerk", at=_stamp(on, m % 600),
                           prev_hash=HASH, hash=HASH)
                buffers[1].write("\t".join(row[c] for c in event_cols) + "\n")
            totals[0] += 1
            totals[1] += len(events)
            if totals[0] % 50000 == 0:
                flush()
    flush()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))")
        cursor.execute("ANALYZE cases_case; ANALYZE cases_caseevent; ANALYZE cases_rating")
    return tuple(totals)


# --- the stock way: the same figures aggregated from the cases --------------------------------

def stock_board(point, period):
    """What a dashboard computes without rollups: aggregate the cases (and ratings) of the point's
    subtree with the ORM, per child point and per item, for the period."""
    from django.db.models import Count, F, Q
    from django.db.models.functions import Substr
    from django.utils import timezone

    from cases.models import Case, Rating
    from stats.figures import Figures
    from stats.tables import Row, Table

    start = timezone.make_aware(dt.datetime.combine(period.start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min))
    prefix = point.region_code[:6] if point.tier == "county" else point.region_code[:9]
    width = 9 if point.tier == "county" else 12
    cases = Case.objects.filter(origin_point__region_code__startswith=prefix)
    figures: dict[str, Figures] = {}

    def merge(key, **counts):
        f = figures.setdefault(key, Figures())
        for name, value in counts.items():
            f.counts[name] += value or 0

    child = Substr("origin_point__region_code", 1, width)
    for row in cases.filter(received_at__gte=start, received_at__lt=end).values(c=child).annotate(
            received=Count("id"), online=Count("id", filter=Q(channel="online"))):
        merge(row["c"], received=row["received"], online=row["online"])
    for row in cases.filter(accepted_at__gte=start, accepted_at__lt=end).values(c=child).annotate(n=Count("id")):
        merge(row["c"], accepted=row["n"])
    for row in cases.filter(closed_at__gte=start, closed_at__lt=end).values(c=child).annotate(
            n=Count("id"), on_time=Count("id", filter=Q(decided_at__date__lte=F("due_date")))):
        merge(row["c"], completed=row["n"], on_time=row["on_time"])
    for row in Rating.objects.filter(point__region_code__startswith=prefix, rated_at__gte=start,
                                     rated_at__lt=end).values(c=Substr("point__region_code", 1, width)).annotate(
            n=Count("id"), good=Count("id", filter=Q(grade__gte=4))):
        merge(row["c"], ratings=row["n"], satisfied=row["good"])
    items = cases.filter(Q(received_at__gte=start, received_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end))
    by_item = Table("item", "按事项", "按事项", "事项")
    for row in items.values("item_name").annotate(
            received=Count("id", filter=Q(received_at__gte=start, received_at__lt=end)),
            completed=Count("id", filter=Q(closed_at__gte=start, closed_at__lt=end))).order_by("-received"):
        f = Figures()
        f.counts.update(received=row["received"], completed=row["completed"])
        by_item.rows.append(Row(row["item_name"], f))
    by_point = Table("point", "按服务点", "按服务点", "服务点")
    by_point.rows = [Row(key, f) for key, f in sorted(figures.items())]
    return [by_point, by_item]


# --- timing under load -------------------------------------------------------------------------

def under_load(fn, seconds: float = SECONDS, threads: int = LOAD) -> dict:
    """Call fn from `threads` threads at once for `seconds`; latencies in ms."""
    from django.db import connection

    fn()  # warm
    samples: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker():
        mine = []
        try:
            while time.monotonic() < stop:
                started = time.perf_counter()
                fn()
                mine.append(1000 * (time.perf_counter() - started))
        finally:
            connection.close()
        with lock:
            samples.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    samples.sort()
    return {"n": len(samples), "p50": statistics.median(samples),
            "p95": samples[min(len(samples) - 1, int(0.95 * len(samples)))]}


def compare(label: str, ours, stock) -> dict:
    a, b = under_load(ours), under_load(stock)
    print(f"  {label:44} rollups p50 {a['p50']:7.1f} ms · p95 {a['p95']:7.1f} ms (n={a['n']})   "
          f"stock p50 {b['p50']:8.1f} ms · p95 {b['p95']:8.1f} ms (n={b['n']})   "
          f"stock ÷ rollups p95 {b['p95'] / a['p95']:.0f}×", flush=True)
    return {"ours": a, "stock": b}


def dashboards(county, town, stage: str) -> dict:
    """Cold: stats.dashboard._build, what a page does when the cache has nothing for the point and
    period (the first view after each rollup run); the page's cache is measured through the server."""
    from stats import dashboard, exporting
    from stats.figures import Period

    month = Period.month(LAST_MONTH.year, LAST_MONTH.month)
    print(f"\n{stage}: {month.label}, {LOAD} threads at once, {SECONDS:.0f} s each, no cache", flush=True)
    out = {}
    for label, point in (("county dashboard (data)", county), ("township dashboard (data)", town)):
        out[label] = compare(label, lambda p=point: dashboard._build(p, month, False),
                             lambda p=point: stock_board(p, month))

    def ours_export():
        return exporting.workbook_bytes("基准县", dashboard._build(county, month, False).tables)

    def stock_export():
        return exporting.workbook_bytes("基准县", stock_board(county, month))

    out["export"] = compare("Excel export of the county's month", ours_export, stock_export)
    charts = under_load(lambda: dashboard._build(county, month, True))
    print(f"  {'county dashboard with its 6 charts':44} rollups p50 {charts['p50']:7.1f} ms · "
          f"p95 {charts['p95']:7.1f} ms (n={charts['n']})", flush=True)
    return out


# --- through the web server ----------------------------------------------------------------

def pages(county, town, users) -> None:
    from tests.bench.bench_cases import signed_in, wrk_run
    from tests.bench.bench_pages import ensure_wrk, free_port

    wrk = ensure_wrk()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yimen.settings.bench_web",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / "bench_stats-gunicorn.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "yimen.wsgi:application", "-b", f"127.0.0.1:{port}",
                               "-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {county.primary_host}",
                              f"http://127.0.0.1:{port}/static/cms/site.css"]).returncode:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        print(f"\npages through gunicorn (2 workers × 4 threads), wrk 2 threads × 16 connections, {DURATION}:")
        month = f"?year={LAST_MONTH.year}&month={LAST_MONTH.month}"
        for label, point, path in (("Wagtail admin home (baseline)", county, "/admin/"),
                                   ("county dashboard page", county, "/admin/stats/" + month),
                                   ("township dashboard page", town, "/admin/stats/" + month),
                                   ("county month .xlsx", county, "/admin/stats/export/" + month),
                                   ("county public /figures/", county, "/figures/")):
            cookie = signed_in(point, users[point.pk])
            wrk_run(wrk, port, point.primary_host, path, cookie)
            r = wrk_run(wrk, port, point.primary_host, path, cookie)
            print(f"  {label:32} {r['rps']:7.1f} req/s · p50 {r['p50']:.1f} ms · p95 {r['p95']:.1f} ms"
                  f"{' · ' + str(r['non200']) + ' not 200' if r['non200'] else ''}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def main() -> None:
    setup_django()
    from django.db import connection

    from stats import rollup
    from stats.models import Rollup
    from tenants.models import ServicePoint

    print(f"machine: {machine()}")
    print(f"{'small run: ' if SMALL else ''}{CASES_PER_POINT} cases a point over the past year", flush=True)
    county, town, users = build()
    year = _workdays(YEAR_START, TODAY - dt.timedelta(days=1))
    last_day = _workdays(TODAY, TODAY + dt.timedelta(days=7))[:1]
    receiving = lambda: [p for p in ServicePoint.objects.filter(region_code__startswith=COUNTY6)  # noqa: E731
                         if p.tier != "county"]

    results = {}
    for stage, townships, villages in (("100 points", TOWNSHIPS_FIRST, VILLAGES_FIRST),
                                       ("1,000 points", TOWNSHIPS, VILLAGES)):
        before = {p.pk for p in receiving()}
        add_points(townships, villages)
        fresh = [p for p in receiving() if p.pk not in before]
        started = time.perf_counter()
        made = generate(fresh, CASES_PER_POINT, year, seed=len(before))
        points = ServicePoint.objects.filter(region_code__startswith=COUNTY6).count()
        print(f"\n{stage}: {points} points; generated {made[0]:,} cases, {made[1]:,} events, {made[2]:,} ratings "
              f"in {time.perf_counter() - started:.0f} s (COPY)", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_case WHERE origin_point_id IN "
                           "(SELECT id FROM tenants_servicepoint WHERE region_code LIKE %s)", [COUNTY6 + "%"])
            total_cases = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM cases_caseevent")
            total_events = cursor.fetchone()[0]
        started = time.perf_counter()
        rows = rollup.rebuild()
        took = time.perf_counter() - started
        print(f"  rebuild_statistics: {total_events:,} events → {rows:,} rollup rows written in {took:.1f} s "
              f"({total_events / took:,.0f} events/s); {Rollup.objects.count():,} rows in the table; "
              f"{total_cases:,} cases in the county", flush=True)
        results[stage] = dashboards(county, town, stage)

    # A new day's events: what the beat task reads incrementally.
    started = time.perf_counter()
    day = generate(receiving(), max(1, CASES_PER_POINT // len(year)) + 3, last_day, seed=99)
    print(f"\na new day: {day[0]:,} cases, {day[1]:,} events, {day[2]:,} ratings generated "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    read = rollup.update(wait=True)
    took = time.perf_counter() - started
    print(f"  incremental rollup (stats.rollup.update): {read:,} rows read in {took:.2f} s "
          f"({read / took:,.0f} events/s)", flush=True)
    assert rollup.update(wait=True) == 0

    print("\ngrowth from 100 to 1,000 points (p95, rollups / stock):")
    for label in results["100 points"]:
        a, b = results["100 points"][label], results["1,000 points"][label]
        print(f"  {label:44} rollups {a['ours']['p95']:.1f} → {b['ours']['p95']:.1f} ms "
              f"({b['ours']['p95'] / a['ours']['p95']:.1f}×) · stock {a['stock']['p95']:.1f} → "
              f"{b['stock']['p95']:.1f} ms ({b['stock']['p95'] / a['stock']['p95']:.1f}×)")
    pages(county, town, users)


if __name__ == "__main__":
    main()
