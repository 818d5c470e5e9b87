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

BENCH_OLD_ROOT (optional): a copy of an earlier release, e.g.
`git archive <commit> | tar -x -C /tmp/yimen-old`; its `deploy_points` is timed
on the same network just before this one's (the template put back in between,
so both pay the same work).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from tests.bench.common import LOGS, ROOT, machine, manage, setup_django, summary, timed

POINTS = int(os.environ.get("BENCH_POINTS", "1000"))
STOCK_SAMPLE = int(os.environ.get("BENCH_STOCK_SAMPLE", "200"))
OLD_ROOT = os.environ.get("BENCH_OLD_ROOT", "")
EXISTING = os.environ.get("BENCH_EXISTING") == "1"
CURVE = (10, 100, 500, 1000)  # onboarding time of the Nth point (median of the 10 up to it)


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


def onboard_network(onboarding: list[float]) -> None:
    """A county, its townships and villages up to POINTS points, timing each onboarding."""
    from django.core.management import call_command

    from tenants.onboarding import PointSpec, onboard_point

    call_command("deploy_points", verbosity=0)
    towns = (POINTS - 2) // 100 + 1
    onboarding.append(timed(onboard_point, PointSpec(
        name="基准县", slug="mig-county", tier="county", region_code="710001000000"))[0])
    for t in range(towns):
        onboarding.append(timed(onboard_point, PointSpec(
            name=f"基准镇{t}", slug=f"mig-town-{t}", tier="township",
            region_code=f"710001{101 + t:03d}000", parent_slug="mig-county"))[0])
    for i in range(POINTS - len(onboarding)):
        t = i // 100
        onboarding.append(timed(onboard_point, PointSpec(
            name=f"基准村{i}", slug=f"mig-{i}", tier="village",
            region_code=f"710001{101 + t:03d}{201 + i % 100:03d}", parent_slug=f"mig-town-{t}"))[0])
        if len(onboarding) % 100 == 0:
            print(f"  onboarded {len(onboarding)}/{POINTS} (last 100: median "
                  f"{statistics.median(onboarding[-100:]):.3f} s; load {load_average()})", flush=True)


def main() -> None:
    setup_django()
    from django.db import connection

    from tenants.models import SchemaTemplate, ServicePoint

    global POINTS
    print(f"machine: {machine()}; load average at start: {load_average()}", flush=True)
    onboarding: list[float] = []  # seconds of the nth point, n = index + 1
    if EXISTING:
        POINTS = ServicePoint.objects.real().count()
    else:
        onboard_network(onboarding)
    print(f"points: {POINTS}; load average before the upgrades: {load_average()}", flush=True)
    schemas = list(ServicePoint.objects.real().order_by("pk").values_list("schema_name", flat=True))
    assert len(schemas) == POINTS
    step = max(1, POINTS // STOCK_SAMPLE) if 0 < STOCK_SAMPLE < POINTS else 1
    sample = schemas[::step][:STOCK_SAMPLE] if step > 1 else schemas

    results: dict[str, float] = {}
    labels: dict[str, str] = {}

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
        results[key] = manage("deploy_points", **env)
        labels[key] = f"measured, every point (load {load_average()})"

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
    print("onboarding time of the nth point (median of the 10 points up to it):")
    for n in CURVE if onboarding else ():
        if n <= POINTS:
            around = statistics.median(onboarding[max(0, n - 10):n])
            print(f"  point {n:>5}: {onboarding[n - 1]:.3f} s (median {around:.3f} s)")
    if onboarding:
        print(f"onboarding, first 100 points: {summary(onboarding[:100])}")
        print(f"onboarding, last 100 points:  {summary(onboarding[-100:])}")
    if len(onboarding) >= 20:
        ratio = statistics.median(onboarding[POINTS - 10:POINTS]) / statistics.median(onboarding[:10])
        print(f"ratio onboarding, points {POINTS - 9}-{POINTS} / points 1-10 (medians): {ratio:.2f}x")
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
