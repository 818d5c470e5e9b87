"""Guides at scale, each against the plain Wagtail way in the same run:

1. A new county point's ~210 guide pages: Wagtail's `add_child` one page at a
   time against Yimen's bulk adoption (cms.adoption), and onboarding with the
   whole catalogue end to end.
2. Propagating one new standard version to 500 points: each point in turn, a
   revision saved and published page by page (`save_revision().publish()`),
   against Yimen's propagation — in one process (same work, fewer statements)
   and on real Celery workers (what a county runs).

    python3 infra/yimen.py bench bench_guides
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.bench.common import ROOT, machine, setup_django, summary, timed

POINTS = int(os.environ.get("YIMEN_BENCH_POINTS", "500"))
WORKERS = 2


def main() -> None:
    setup_django()
    import statistics

    from django.core.management import call_command
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from cms import adoption
    from cms.models import HomePage, ItemGuidePage, ItemIndexPage
    from standards import propagation, services
    from standards.demo import load_demo_catalogue
    from standards.models import Propagation, PropagationTarget, StandardItemVersion
    from tenants.onboarding import PointSpec, onboard_point

    print(f"machine: {machine()}")
    call_command("deploy_points", verbosity=0)
    load_demo_catalogue(progress=lambda line: None)
    record = {**StandardItemVersion.objects.filter(item__code="YM-GAJ-QR-001").get(number=1).content}

    # --- 1. a county's catalogue -------------------------------------------------
    county = onboard_point(PointSpec(name="基准县", slug="bench-county", tier="county",
                                     region_code="700001000000", latitude=28.2, longitude=112.6))
    versions = list(adoption.adoptable_versions(county))
    print(f"\n1. {len(versions)} guide pages for a county point")
    stock_times, bulk_times, onboard_times = [], [], []
    for n in range(3):
        with tenant_context(county), transaction.atomic():
            home = HomePage.objects.get()
            index = home.add_child(instance=ItemIndexPage(title="办事指南（对照）", slug=f"stock-{n}"))

            def stock(index=index):
                for v in versions:
                    index.add_child(instance=ItemGuidePage(title=v.name, slug=v.code, code=v.code,
                                                           standard_version=v))
            stock_times.append(timed(stock)[0])
            transaction.set_rollback(True)
        with tenant_context(county), transaction.atomic():
            ItemGuidePage.objects.all().delete()
            bulk_times.append(timed(adoption.adopt, county, versions)[0])
            transaction.set_rollback(True)
        onboard_times.append(timed(onboard_point, PointSpec(
            name=f"基准县{n}", slug=f"bench-county-{n}", tier="county", region_code=f"70000{2 + n}000000"))[0])
        print(f"  [{n + 1}/3] add_child {stock_times[-1]:.2f} s · bulk {bulk_times[-1]:.3f} s · "
              f"onboarding with catalogue {onboard_times[-1]:.2f} s", flush=True)
    print(f"Wagtail add_child, page by page : {summary(stock_times)}")
    print(f"Yimen bulk adoption            : {summary(bulk_times)}")
    print(f"ratio (add_child / bulk, medians): {statistics.median(stock_times) / statistics.median(bulk_times):.1f}x")
    print(f"onboarding a county point with its catalogue: {summary(onboard_times)}")

    # --- 2. propagation to POINTS points --------------------------------------------
    print(f"\n2. one new version to {POINTS} points (onboarding them first …)", flush=True)
    town = onboard_point(PointSpec(name="基准镇", slug="bench-town", tier="township",
                                   region_code="700001101000", parent_slug="bench-county"))
    items = {}
    for key in ("plain", "inprocess", "celery"):
        code = {"plain": "YM-BEN-QR-001", "inprocess": "YM-BEN-QR-002", "celery": "YM-BEN-QR-003"}[key]
        items[key], _ = services.publish_content({**record, "code": code, "name": f"基准事项{key}",
                                                   "accept_tiers": ["county", "township", "village"]})
    points = []
    started = time.perf_counter()
    for i in range(POINTS):
        township_code, village_code = divmod(i, 700)
        if village_code == 0 and township_code:
            town = onboard_point(PointSpec(name=f"基准镇{township_code}", slug=f"bench-town-{township_code}",
                                           tier="township", region_code=f"700001{101 + township_code:03d}000",
                                           parent_slug="bench-county"))
        points.append(onboard_point(PointSpec(
            name=f"基准村{i}", slug=f"bench-v{i}", tier="village", parent_slug=town.slug,
            region_code=f"{town.region_code[:9]}{200 + village_code:03d}")))
        if (i + 1) % 50 == 0:
            print(f"  onboarded [{i + 1}/{POINTS}] ({time.perf_counter() - started:.0f} s)", flush=True)

    def new_version(version):
        draft = services.start_draft(version.item, note="基准修订")
        services.update_draft(draft, {**draft.content, "conditions": draft.content["conditions"] + "（修订）"})
        services.submit_for_review(draft)
        return draft

    # Plain: each point in turn, Wagtail's revision publish, page by page.
    draft = new_version(items["plain"])
    with transaction.atomic():  # publish without starting our propagation for this item
        StandardItemVersion.objects.filter(pk=draft.pk).update(status="published")

    def plain():
        for point in points:
            with tenant_context(point):
                page = ItemGuidePage.objects.get(code=draft.code)
                page.standard_version = draft
                page.save_revision().publish()
    plain_time = timed(plain)[0]
    print(f"  plain Wagtail publish, point by point: {plain_time:.2f} s", flush=True)

    # Ours, in this process: the same points through propagation.apply_batch.
    draft = new_version(items["inprocess"])
    from django.conf import settings

    settings.STANDARDS_PROPAGATION_QUEUE = "bench-nobody"  # queued batches are not consumed; we apply here
    run = services.publish(draft, review=True)
    point_ids = list(PropagationTarget.objects.filter(propagation=run).values_list("point_id", flat=True))
    inprocess_time = timed(propagation.apply_batch, run.pk, point_ids)[0]
    assert Propagation.objects.get(pk=run.pk).status == "done"
    print(f"  Yimen propagation, one process: {inprocess_time:.2f} s", flush=True)

    # Ours, on Celery: publish to done, with WORKERS worker processes.
    settings.STANDARDS_PROPAGATION_QUEUE = "bench-propagation"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])}
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "yimen", "worker", "-l", "warning",
                               "-Q", "bench-propagation", "--concurrency", str(WORKERS), "-n", "bench@%h"],
                              env=env, cwd=ROOT)
    try:
        from yimen.celery import app

        while not app.control.ping(timeout=1):
            time.sleep(0.5)
        draft = new_version(items["celery"])
        started = time.perf_counter()
        run = services.publish(draft, review=True)
        while Propagation.objects.get(pk=run.pk).status != "done":
            time.sleep(0.05)
        celery_time = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    counts = propagation.progress(run)
    print(f"  Yimen propagation, Celery ({WORKERS} worker processes): {celery_time:.2f} s "
          f"(published {counts['published']}/{counts['total']})", flush=True)
    print(f"ratio plain / Yimen one process: {plain_time / inprocess_time:.1f}x")
    print(f"ratio plain / Yimen on Celery  : {plain_time / celery_time:.1f}x")
    print(f"per point: plain {1000 * plain_time / POINTS:.1f} ms · one process "
          f"{1000 * inprocess_time / POINTS:.1f} ms · Celery {1000 * celery_time / POINTS:.1f} ms")


if __name__ == "__main__":
    main()
