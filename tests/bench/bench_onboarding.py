"""Onboarding 10 points: stock django-tenants (schema built by replaying the
migrations, as `auto_create_schema` does) against Yimen's template onboarding,
in the same run, and a check that both build the same catalog.

    python3 infra/yimen.py bench bench_onboarding
"""
from __future__ import annotations

from tests.bench.common import machine, setup_django, summary, timed

POINTS = 10


def main() -> None:
    setup_django()
    import statistics

    from django.core.management import call_command
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from cms.site_setup import install_point_site
    from tenants import roles
    from tenants.models import Domain, PointStatus, ServicePoint
    from tenants.onboarding import PointSpec, onboard_point, schema_name_for
    from tenants.schema_catalog import catalog_differences, schema_catalog

    print(f"machine: {machine()}")
    call_command("deploy_points", verbosity=0)
    onboard_point(PointSpec(name="基准县", slug="bench-county", tier="county", region_code="700001000000"))
    onboard_point(PointSpec(name="基准镇", slug="bench-town", tier="township",
                            region_code="700001101000", parent_slug="bench-county"))
    town = ServicePoint.objects.get(slug="bench-town")

    def stock(i: int) -> ServicePoint:
        # What django-tenants does on save() with auto_create_schema = True:
        # create the schema and run every migration in it; then the same site set-up.
        slug = f"stock-{i}"
        with transaction.atomic():
            point = ServicePoint.objects.create(
                schema_name=schema_name_for(slug), name=f"基准村{i}", slug=slug, tier="village",
                parent=town, region_code=f"700001101{200 + i:03d}", status=PointStatus.ACTIVE)
            Domain.objects.create(domain=point.primary_host, tenant=point, is_primary=True)
            roles.create_role_groups(point)
        point.create_schema(check_if_exists=True, sync_schema=True, verbosity=0)
        with tenant_context(point):
            install_point_site(point)
        return point

    def ours(i: int) -> ServicePoint:
        return onboard_point(PointSpec(name=f"基准社区{i}", slug=f"ours-{i}", tier="village",
                                       region_code=f"700001101{500 + i:03d}", parent_slug="bench-town"))

    # One way after the other: stock migrate closes its database connection
    # after each schema, which would hand the next onboarding a cold one.
    stock_times, ours_times = [], []
    for i in range(POINTS):
        stock_times.append(timed(stock, i)[0])
        print(f"  stock [{i + 1}/{POINTS}] {stock_times[-1]:.3f} s", flush=True)
    for i in range(POINTS):
        ours_times.append(timed(ours, i)[0])
        print(f"  yimen [{i + 1}/{POINTS}] {ours_times[-1]:.3f} s", flush=True)

    differences = catalog_differences(schema_catalog(schema_name_for("stock-0")),
                                      schema_catalog(schema_name_for("ours-0")))
    print(f"stock auto_create_schema : {summary(stock_times)}")
    print(f"yimen template onboarding: {summary(ours_times)}")
    ratio = statistics.median(stock_times) / statistics.median(ours_times)
    print(f"ratio (stock / yimen, medians): {ratio:.1f}x")
    print(f"catalogs identical: {'yes' if not differences else 'NO'}")
    for line in differences[:20]:
        print("  ", line)


if __name__ == "__main__":
    main()
