"""Migrating 200 points: stock `migrate_schemas` against `deploy_points`, same
run, with nothing pending and with one new nullable field.

    python3 infra/yimen.py bench bench_migrations
"""
from __future__ import annotations

import os

from tests.bench.common import machine, manage, setup_django, summary, timed

POINTS = int(os.environ.get("BENCH_POINTS", "200"))


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from tenants.models import ServicePoint
    from tenants.onboarding import PointSpec, onboard_point

    print(f"machine: {machine()}; points: {POINTS}")
    call_command("deploy_points", verbosity=0)
    onboard_point(PointSpec(name="基准县", slug="mig-county", tier="county", region_code="710001000000"))
    for t in range(POINTS // 100 + 1):
        onboard_point(PointSpec(name=f"基准镇{t}", slug=f"mig-town-{t}", tier="township",
                                region_code=f"710001{101 + t:03d}000", parent_slug="mig-county"))
    made = ServicePoint.objects.real().count()
    onboarding: list[float] = []  # does onboarding stay flat as the network grows?
    for i in range(POINTS - made):
        t = i // 100
        onboarding.append(timed(onboard_point, PointSpec(
            name=f"基准村{i}", slug=f"mig-{i}", tier="village",
            region_code=f"710001{101 + t:03d}{201 + i % 100:03d}", parent_slug=f"mig-town-{t}"))[0])
        if (i + 1) % 50 == 0:
            print(f"  onboarded {i + 1 + made}/{POINTS}", flush=True)
    schemas = list(ServicePoint.objects.real().values_list("schema_name", flat=True))
    assert len(schemas) == POINTS

    results = {}
    results["nothing pending: stock migrate_schemas"] = manage("migrate_schemas", "--noinput")
    results["nothing pending: yimen deploy_points"] = manage("deploy_points")

    results["new field: stock migrate_schemas"] = manage("migrate_schemas", "--noinput", BENCH_MIGRATIONS="next")
    # Put every point (and public's record) back one migration, then the same upgrade our way.
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'ALTER TABLE "{schema}".benchapp_notice DROP COLUMN audience')
            cursor.execute(f"DELETE FROM \"{schema}\".django_migrations WHERE app = 'benchapp' "
                           "AND name = '0002_notice_audience'")
        cursor.execute("DELETE FROM public.django_migrations WHERE app = 'benchapp' AND name = '0002_notice_audience'")
    results["new field: yimen deploy_points"] = manage("deploy_points", BENCH_MIGRATIONS="next")

    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(
            f"SELECT count(*) FROM information_schema.columns WHERE table_schema = '{s}' "
            "AND table_name = 'benchapp_notice' AND column_name = 'audience'" for s in schemas))
        migrated = sum(row[0] for row in cursor.fetchall())
    print(f"onboarding, first 50 villages: {summary(onboarding[:50])}")
    print(f"onboarding, last 50 villages:  {summary(onboarding[-50:])}")
    for name, seconds in results.items():
        print(f"{name:<42} {seconds:8.2f} s  ({seconds / POINTS * 1000:.1f} ms per point)")
    for case in ("nothing pending", "new field"):
        ratio = results[f"{case}: stock migrate_schemas"] / results[f"{case}: yimen deploy_points"]
        print(f"ratio {case} (stock / yimen): {ratio:.1f}x")
    print(f"points with the new column after deploy_points: {migrated}/{POINTS}")


if __name__ == "__main__":
    main()
