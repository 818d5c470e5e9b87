"""A new standard version reaching every adopting point, on a real Celery worker."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg2
import pytest
from django.conf import settings
from django_tenants.utils import tenant_context
from wagtail.models import Revision
from wagtail.search.backends import get_search_backend

from cms import updates
from cms.models import ItemGuidePage, StandardUpdate
from standards import propagation, services
from standards.models import Adoption, Propagation, PropagationTarget, StandardItemVersion, TargetStatus

ALL_TIERS = ["county", "township", "village", "park"]


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test propagates an item of its own."""
    return shared_network


def _new_version(version: StandardItemVersion, network, **changes) -> Propagation:
    """Draft, review by one central admin, publish by another."""
    author = network.user(f"author{version.pk}", network.county, "central_admin")
    reviewer = network.user(f"reviewer{version.pk}", network.county, "central_admin")
    draft = services.start_draft(version.item, author, note="测试修订")
    services.update_draft(draft, {**draft.content, **changes}, author)
    services.submit_for_review(draft, author)
    return services.publish(draft, reviewer)


def _wait(run: Propagation, timeout: float = 90) -> Propagation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == "done":
            return run
        time.sleep(0.3)
    raise AssertionError(f"propagation not done: {propagation.progress(run)}")


def _guide(point, code) -> ItemGuidePage:
    with tenant_context(point):
        return ItemGuidePage.objects.select_related("standard_version").get(code=code)


def _revisions(point, guide) -> int:
    with tenant_context(point):
        return Revision.page_revisions.filter(object_id=str(guide.pk)).count()


def test_new_version_is_published_at_every_point_that_changed_nothing(network, make_item, celery_worker,
                                                                      client_at):
    points = [network.county, network.township, network.village, network.park]
    v1 = make_item(adopt_at=points, accept_tiers=ALL_TIERS, phone="0731-86200001")
    run = _new_version(v1, network, name="测试事项（新名称）", statutory_days=25, promised_days=5)
    assert run.total >= 4
    _wait(run)
    for point in points:
        guide = _guide(point, v1.code)
        assert guide.standard_version.number == 2
        assert guide.title == "测试事项（新名称）"
        assert not guide.has_unpublished_changes
        assert guide.live_revision_id == guide.latest_revision_id
        page = client_at(point).get(f"/items/{v1.code}/").content.decode()
        assert "测试事项（新名称）" in page
        with tenant_context(point):  # the admin's page search knows the new title
            assert guide.pk in [p.pk for p in get_search_backend().search("测试事项（新名称）", ItemGuidePage)]
    assert set(Adoption.objects.filter(item=v1.item).values_list("version__number", flat=True)) == {2}
    assert propagation.progress(run)["published"] == run.total


def test_a_point_that_changed_what_the_version_changes_gets_a_draft_beside_the_live_page(
        network, make_item, celery_worker, client_at):
    v1 = make_item(adopt_at=[network.township, network.village], accept_tiers=ALL_TIERS, phone="0731-86200001")
    with tenant_context(network.village):
        guide = ItemGuidePage.objects.get(code=v1.code)
        guide.phone = "0731-86209999"  # the village gives its own number
        guide.save_revision().publish()
    run = _wait(_new_version(v1, network, phone="0731-86200002", conditions="新的受理条件"))

    village = _guide(network.village, v1.code)
    assert village.standard_version.number == 1  # live page unchanged
    assert village.has_unpublished_changes
    target = PropagationTarget.objects.get(propagation=run, point=network.village)
    assert target.status == TargetStatus.CONFLICT
    assert "咨询电话" in target.detail
    with tenant_context(network.village):
        update = StandardUpdate.objects.get(page=village, status="open")
        assert update.conflicts == ["phone"]
        assert update.revision.as_object().standard_version.number == 2
    assert "新的受理条件" not in client_at(network.village).get(f"/items/{v1.code}/").content.decode()
    # The township changed nothing: published at once.
    assert _guide(network.township, v1.code).standard_version.number == 2

    # The village's admin keeps its own number and takes the rest of the new version.
    admin = network.user("vadmin", network.village, "admin")
    with tenant_context(network.village):
        updates.accept(update, admin, keep_local=True)
    village = _guide(network.village, v1.code)
    assert village.standard_version.number == 2 and village.phone == "0731-86209999"
    assert not village.has_unpublished_changes
    assert "新的受理条件" in client_at(network.village).get(f"/items/{v1.code}/").content.decode()
    assert Adoption.objects.get(point=network.village, item=v1.item).version.number == 2


def test_an_editor_may_see_but_not_publish_a_waiting_update(network, make_item, celery_worker, client_at):
    v1 = make_item(adopt_at=[network.village], accept_tiers=ALL_TIERS)
    with tenant_context(network.village):
        guide = ItemGuidePage.objects.get(code=v1.code)
        guide.promised_days = 1
        guide.save_revision().publish()
    _wait(_new_version(v1, network, promised_days=3))
    editor = network.user("veditor", network.village, "editor")
    client = client_at(network.village)
    client.force_login(editor)
    listing = client.get("/admin/standard-updates/").content.decode()
    assert v1.name in listing and "发布需要本点管理员" in listing
    with tenant_context(network.village):
        update = StandardUpdate.objects.get(page__code=v1.code, status="open")
    client.post(f"/admin/standard-updates/{update.pk}/", {"keep_local": "0"})
    assert _guide(network.village, v1.code).standard_version.number == 1


def test_applying_twice_changes_nothing(network, make_item, celery_worker):
    v1 = make_item(adopt_at=[network.village, network.township], accept_tiers=ALL_TIERS)
    run = _wait(_new_version(v1, network, conditions="第二版条件"))
    before = _revisions(network.village, _guide(network.village, v1.code))
    PropagationTarget.objects.filter(propagation=run).update(status=TargetStatus.PENDING)
    propagation.apply_batch(run.pk, list(PropagationTarget.objects.filter(propagation=run)
                                         .values_list("point_id", flat=True)))
    assert _revisions(network.village, _guide(network.village, v1.code)) == before
    assert set(PropagationTarget.objects.filter(propagation=run).values_list("status", flat=True)) == {"skipped"}


@pytest.fixture
def restart_queue(settings):
    settings.STANDARDS_PROPAGATION_QUEUE = f"restart-{os.getpid()}"
    return settings.STANDARDS_PROPAGATION_QUEUE


def _start_worker(queue: str) -> subprocess.Popen:
    from tests.conftest import ROOT, child_env

    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "yimen", "worker", "-l", "warning", "--pool", "solo",
         "-Q", queue, "-n", f"{queue}-{time.monotonic_ns()}@%h"],
        env=child_env(), cwd=ROOT, start_new_session=True)


def test_a_worker_killed_half_way_loses_and_doubles_nothing(network, make_item, restart_queue):
    """The worker dies while one point's transaction is open: that point stays
    pending (its transaction rolls back), the points before it stay done, and a
    new worker resumes without applying any point twice."""
    others = [network.make(f"vr{n}", "village", network.township.region_code[:9] + f"{210 + n:03d}", "town")
              for n in range(3)]
    points = sorted([network.county, network.township, network.other_township, network.village,
                     network.other_village, network.park, *others], key=lambda p: p.pk)
    v1 = make_item(adopt_at=points, accept_tiers=ALL_TIERS)
    blocked = points[3]
    guide_ids = {p.pk: _guide(p, v1.code).pk for p in points}
    before = {p.pk: _revisions(p, _guide(p, v1.code)) for p in points}

    # Hold the fourth point's guide row locked from another connection: the
    # worker gets there and waits, inside its transaction.
    db = settings.DATABASES["default"]
    holder = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                              host=db["HOST"], port=db["PORT"])
    cursor = holder.cursor()
    cursor.execute(f'SET search_path TO "{blocked.schema_name}"')
    cursor.execute("SELECT 1 FROM cms_itemguidepage WHERE page_ptr_id = %s FOR UPDATE", [guide_ids[blocked.pk]])

    worker = _start_worker(restart_queue)
    try:
        run = _new_version(v1, network, conditions="重启测试条件")
        deadline = time.monotonic() + 90
        while PropagationTarget.objects.filter(propagation=run, status=TargetStatus.PUBLISHED).count() < 3:
            assert time.monotonic() < deadline, propagation.progress(run)
            time.sleep(0.2)
        time.sleep(1)  # now waiting on the lock
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        holder.rollback()
        holder.close()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)

    assert PropagationTarget.objects.get(propagation=run, point=blocked).status == TargetStatus.PENDING
    worker = _start_worker(restart_queue)
    try:
        time.sleep(2)
        propagation.resume(stalled_after=timedelta(0))
        _wait(run)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    for point in points:
        guide = _guide(point, v1.code)
        assert guide.standard_version.number == 2, point.slug
        assert _revisions(point, guide) == before[point.pk] + 1, f"{point.slug}: applied more than once"
    assert PropagationTarget.objects.filter(propagation=run).exclude(status=TargetStatus.PUBLISHED).count() == 0


def test_a_broker_down_at_publication_delays_but_loses_nothing(network, make_item, celery_worker, monkeypatch):
    from kombu.exceptions import OperationalError

    from standards import tasks

    v1 = make_item(adopt_at=[network.village, network.township], accept_tiers=ALL_TIERS)

    def broker_down(*args, **kwargs):  # the fault: Redis unreachable when the batches are queued
        raise OperationalError("Error 111 connecting to redis: Connection refused.")

    monkeypatch.setattr(tasks.apply_batch, "apply_async", broker_down)
    run = _new_version(v1, network, conditions="代理中断时发布")  # the publication itself succeeds
    v1.item.refresh_from_db()
    assert v1.item.current.number == 2
    run.refresh_from_db()
    assert run.status == "running" and run.dispatched_at is None
    assert _guide(network.village, v1.code).standard_version.number == 1

    monkeypatch.undo()  # the broker is back; beat's resume queues what was left
    assert propagation.resume(stalled_after=timedelta(0)) == 1
    _wait(run)
    assert _guide(network.village, v1.code).standard_version.number == 2
    assert _guide(network.township, v1.code).standard_version.number == 2
