"""The upgrade path at 1,000 points: stock `migrate_schemas` against
`deploy_points`, same run, with nothing pending and with one new nullable
field; and onboarding time as the network grows (the 10th point against the
1,000th).

    python3 infra/yimen.py bench bench_migrations

Sizes: BENCH_POINTS (default 1000) points in all. Stock `migrate_schemas` takes
about a quarter of a second per point whatever is pending, so by default it
runs on an evenly spread sample of BENCH_STOCK_SAMPLE points (default 200) and
its figure for the whole network is extrapolated (start-up and public schema
as measured, plus the sample's per-point time × the number of points) and
labelled so; BENCH_STOCK_SAMPLE=0 runs it on every point.

BENCH_EXISTING=1 skips onboarding and measures the upgrades on the points a
kept database already holds (run this module directly against it; the runner
always starts from an empty database).

BENCH_FRESH_CONNECTION_EVERY (default 1): onboarding opens a new database
connection every that many points, as `onboard_point` from the command line or
a web request does; 0 keeps one connection for the whole network (PostgreSQL
keeps every relation a connection touched in its caches). The last 20 points
compare the two at full size: 10 on the connection the loop left open, then 10
each on a new connection. Onboarding is timed as wall time and as CPU time of
this process plus its PostgreSQL backend (read from /proc), which a loaded
machine inflates far less.

The `manage.py` processes run as production runs them, with the bytecode of
what they import cached (PYTHONPYCACHEPREFIX under .data/, even where
PYTHONDONTWRITEBYTECODE is set); the start-up of one is printed on its own.

BENCH_OLD_ROOT (optional): a copy of an earlier release, e.g.
`git archive <commit> | tar -x -C /tmp/yimen-old`; its `deploy_points` is timed
on the same network just before this one's (the template put back in between,
so both pay the same work).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from tests.bench.common import LOGS, ROOT, machine, manage, setup_django, summary

POINTS = int(os.environ.get("BENCH_POINTS", "1000"))
STOCK_SAMPLE = int(os.environ.get("BENCH_STOCK_SAMPLE", "200"))
OLD_ROOT = os.environ.get("BENCH_OLD_ROOT", "")
EXISTING = os.environ.get("BENCH_EXISTING") == "1"
FRESH_EVERY = int(os.environ.get("BENCH_FRESH_CONNECTION_EVERY", "1"))
CURVE = (10, 100, 500, 1000)  # onboarding time of the Nth village (median of the 10 up to it)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def stock_on_sample(sample: list[str], case: str, **env: str) -> tuple[float, float, float]:
    """(wall seconds, of which the points' loop, per point) of stock migrate on `sample`."""
    full_env = {**os.environ, **env, "BENCH_SAMPLE_SCHEMAS": ",".join(sample),
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])}
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(LOGS / f"stock-sample-{case}.log", "w") as log:
        result = subprocess.run([sys.executable, "-m", "tests.bench.stock_migrate_sample"], env=full_env,
                                cwd=ROOT, check=True, stdout=subprocess.PIPE, stderr=log, text=True)
    wall = time.perf_counter() - started
    loop = json.loads(result.stdout.strip().splitlines()[-1])["points"]
    return wall, loop, loop / len(sample)


def manage_at(root: str, *args: str, **env: str) -> float:
    """manage.py of the release at `root`, in a fresh process; its wall time."""
    full_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([root, os.path.join(root, "platform")])}
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(LOGS / f"old-{'-'.join(args)}-{'-'.join(env.values()) or 'current'}.log", "w") as out:
        subprocess.run([sys.executable, os.path.join(root, "manage.py"), *args], env=full_env, cwd=root,
                       check=True, stdout=out, stderr=subprocess.STDOUT)
    return time.perf_counter() - started


def village(i: int):
    from tenants.onboarding import PointSpec

    # 100 villages a township (codes 201-300); those after the network, in the last one from 301.
    t, code = (i // 100, 201 + i % 100) if i < VILLAGES else (TOWNS - 1, 301 + i - VILLAGES)
    return PointSpec(name=f"基准村{i}", slug=f"mig-{i}", tier="village",
                     region_code=f"710001{101 + t:03d}{code:03d}", parent_slug=f"mig-town-{t}")


class Onboarding(NamedTuple):
    wall: float
    cpu: float  # this process's CPU and the PostgreSQL backend's: what load does not inflate much
    backend: float


def backend_cpu() -> float:
    """CPU seconds the connection's PostgreSQL backend has used since it
    started (from /proc: the bench's server runs on this machine)."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.get_backend_pid()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def onboard_village(i: int, fresh: bool) -> Onboarding:
    from django.db import connection

    from tenants.onboarding import onboard_point

    if fresh:
        connection.close()  # a new one is opened inside the timing; its backend's CPU counts whole
    before = 0.0 if fresh else backend_cpu()
    cpu, started = time.process_time(), time.perf_counter()
    onboard_point(village(i))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    backend = backend_cpu() - before
    return Onboarding(wall, cpu + backend, backend)


EXTRA = 10  # villages onboarded each way after the network (connection_age)
TOWNS = (POINTS - 2) // 100 + 1
VILLAGES = POINTS - 1 - TOWNS - 2 * EXTRA  # in the timed loop; with the extras, POINTS in all


def onboard_network(villages: list[Onboarding]) -> None:
    """A county, its townships and villages up to POINTS points, timing each
    village's onboarding (the county and townships adopt other guides)."""
    from django.core.management import call_command

    from tenants.onboarding import PointSpec, onboard_point

    call_command("deploy_points", verbosity=0)
    onboard_point(PointSpec(name="基准县", slug="mig-county", tier="county", region_code="710001000000"))
    for t in range(TOWNS):
        onboard_point(PointSpec(name=f"基准镇{t}", slug=f"mig-town-{t}", tier="township",
                                region_code=f"710001{101 + t:03d}000", parent_slug="mig-county"))
    for i in range(VILLAGES):
        villages.append(onboard_village(i, FRESH_EVERY > 0 and i % FRESH_EVERY == 0))
        if (1 + TOWNS + len(villages)) % 100 == 0:
            print(f"  onboarded {1 + TOWNS + len(villages)}/{POINTS} (last 100 villages: median "
                  f"{statistics.median(v.wall for v in villages[-100:]):.3f} s; load {load_average()})", flush=True)


def connection_age() -> tuple[list[Onboarding], list[Onboarding]]:
    """At the network's full size: EXTRA villages on the connection the loop
    left open (with BENCH_FRESH_CONNECTION_EVERY=0, the one that onboarded the
    whole network), then EXTRA each on a new connection."""
    kept = [onboard_village(VILLAGES + k, False) for k in range(EXTRA)]
    fresh = [onboard_village(VILLAGES + EXTRA + k, True) for k in range(EXTRA)]
    return kept, fresh


def medians(runs: list[Onboarding]) -> str:
    return (f"{statistics.median(r.wall for r in runs):.3f} s wall, "
            f"{statistics.median(r.cpu for r in runs):.3f} s CPU "
            f"(of which PostgreSQL {statistics.median(r.backend for r in runs):.3f} s)")


def curve_lines(villages: list[Onboarding]) -> list[str]:
    """The onboarding time around the nth point: medians of the 10 villages of
    the loop up to it (the first 10 villages for the 10th point: points 1 to
    TOWNS + 1 are the county and its townships), and the last against the first."""
    first = 1 + TOWNS + 1  # point number of village 0

    def window(n: int) -> tuple[int, int]:
        end = max(10, min(len(villages), n - first + 1))
        return end - 10, end

    lines = ["onboarding around the nth point (medians of 10 villages; CPU = this process + its backend):"]
    for n in CURVE:
        if n <= POINTS:
            a, b = window(n)
            lines.append(f"  point {n:>5}: {medians(villages[a:b])} (points {first + a}-{first + b - 1})")
    a, b = window(POINTS)
    last, head = villages[a:b], villages[:10]
    for what in ("wall", "cpu"):
        ratio = (statistics.median(getattr(r, what) for r in last)
                 / statistics.median(getattr(r, what) for r in head))
        lines.append(f"ratio onboarding {what}, points {first + a}-{first + b - 1} / points "
                     f"{first}-{first + 9} (medians): {ratio:.2f}x")
    return lines


def children_cpu() -> float:
    """CPU seconds used so far by this process's finished children (the manage.py runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_seconds(log: Path) -> float:
    """The seconds deploy_points itself reports on its last line ("[yimen  12.3s] …")."""
    last = [line for line in log.read_text().splitlines() if line.startswith("[yimen")][-1]
    return float(last.split("]")[0].removeprefix("[yimen").strip().removesuffix("s"))


def main() -> None:
    setup_django()
    from django.db import connection

    from tenants.models import SchemaTemplate, ServicePoint

    global POINTS
    print(f"machine: {machine()}; load average at start: {load_average()}", flush=True)
    # The manage.py processes below: bytecode cached, as a deployed release has it.
    os.environ.update(PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(ROOT / ".data" / "pycache"))
    villages: list[Onboarding] = []  # each village of the loop, in order
    kept: list[Onboarding] = []
    fresh: list[Onboarding] = []
    if EXISTING:
        POINTS = ServicePoint.objects.real().count()
    else:
        onboard_network(villages)
        kept, fresh = connection_age()
        connection.close()
    print(f"points: {POINTS}; load average before the upgrades: {load_average()}", flush=True)
    schemas = list(ServicePoint.objects.real().order_by("pk").values_list("schema_name", flat=True))
    assert len(schemas) == POINTS
    step = max(1, POINTS // STOCK_SAMPLE) if 0 < STOCK_SAMPLE < POINTS else 1
    sample = schemas[::step][:STOCK_SAMPLE] if step > 1 else schemas

    results: dict[str, float] = {}
    labels: dict[str, str] = {}
    in_command: dict[str, float] = {}
    manage("help", "deploy_points")  # compiles what a start-up imports, once
    startup_cpu = children_cpu()
    startup = manage("help", "deploy_points")
    startup_cpu = children_cpu() - startup_cpu

    def stock(case: str, **env: str) -> None:
        key = f"{case}: stock migrate_schemas"
        if sample is schemas:
            results[key] = manage("migrate_schemas", "--noinput", **env)
            labels[key] = "measured, every point"
            return
        wall, loop, per_point = stock_on_sample(sample, case.replace(" ", "-"), **env)
        results[key] = (wall - loop) + per_point * POINTS
        labels[key] = (f"extrapolated: {len(sample)} points measured, {wall:.1f} s "
                       f"({per_point * 1000:.0f} ms/point + {wall - loop:.1f} s start-up and public)")

    def ours(case: str, upgrade: bool = False, **env: str) -> None:
        if OLD_ROOT:
            kept = list(SchemaTemplate.objects.values("fingerprint", "sql", "partial_indexes"))
            key = f"{case}: previous deploy_points"
            results[key] = manage_at(OLD_ROOT, "deploy_points", **env)
            labels[key] = f"measured, every point, {OLD_ROOT} (load {load_average()})"
            if upgrade:  # the upgrade again, from the same start: points, public and template put back
                put_back(schemas)
                SchemaTemplate.objects.all().delete()
                SchemaTemplate.objects.bulk_create(SchemaTemplate(**row) for row in kept)
        key = f"{case}: yimen deploy_points"
        cpu = children_cpu()
        results[key] = manage("deploy_points", **env)
        cpu = children_cpu() - cpu
        log = LOGS / f"deploy_points-{'-'.join(env.values()) or 'current'}.log"
        in_command[key] = command_seconds(log)
        log.replace(LOGS / f"deploy_points-{case.replace(' ', '-')}.log")  # two cases share an env
        labels[key] = (f"measured, every point, {in_command[key]:.1f} s in the command, process CPU "
                       f"{cpu:.1f} s (load {load_average()})")

    def put_back(names: list[str]) -> None:
        """The points `names` (and public's record) one migration back, before the new field."""
        with connection.cursor() as cursor:
            for start in range(0, len(names), 100):
                cursor.execute(";".join(
                    f'ALTER TABLE "{schema}".benchapp_notice DROP COLUMN audience;'
                    f"DELETE FROM \"{schema}\".django_migrations WHERE app = 'benchapp' "
                    "AND name = '0002_notice_audience'" for schema in names[start:start + 100]))
            cursor.execute("DELETE FROM public.django_migrations WHERE app = 'benchapp' "
                           "AND name = '0002_notice_audience'")

    stock("nothing pending")
    ours("nothing pending")

    stock("new field", BENCH_MIGRATIONS="next")
    put_back(sample)  # then the same upgrade our way, on every point
    ours("new field", upgrade=True, BENCH_MIGRATIONS="next")
    # A second no-op deploy on the upgraded network (template already current).
    ours("nothing pending after the upgrade", BENCH_MIGRATIONS="next")

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = ANY(%s) "
                       "AND table_name = 'benchapp_notice' AND column_name = 'audience'", [schemas])
        migrated = cursor.fetchone()[0]

    print(f"\nmachine: {machine()}; points: {POINTS}; load average at end: {load_average()}")
    if len(villages) >= 10:
        print(f"onboarding: a new connection every {FRESH_EVERY} point(s)" if FRESH_EVERY
              else "onboarding: one connection for the whole network")
        print("\n".join(curve_lines(villages)))
        print(f"onboarding wall, first 100 villages: {summary([v.wall for v in villages[:100]])}")
        print(f"onboarding wall, last 100 villages:  {summary([v.wall for v in villages[-100:]])}")
        print(f"onboarding at {POINTS - 2 * EXTRA} points, on the loop's connection: {medians(kept)}")
        print(f"onboarding at {POINTS - EXTRA} points, each on a new connection: {medians(fresh)}")
    print(f"start-up of a manage.py process (help, bytecode cached): {startup:.2f} s wall, {startup_cpu:.2f} s CPU")
    for name, seconds in results.items():
        print(f"{name:<54} {seconds:8.2f} s  ({seconds / POINTS * 1000:.1f} ms per point; {labels[name]})")
    for case in ("nothing pending", "new field"):
        ratio = results[f"{case}: stock migrate_schemas"] / results[f"{case}: yimen deploy_points"]
        print(f"ratio {case} (stock / yimen): {ratio:.1f}x")
        if OLD_ROOT:
            ratio = results[f"{case}: previous deploy_points"] / results[f"{case}: yimen deploy_points"]
            print(f"ratio {case} (previous / this deploy_points): {ratio:.2f}x")
    print(f"points with the new column after deploy_points: {migrated}/{POINTS}")


if __name__ == "__main__":
    main()
