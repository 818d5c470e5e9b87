"""A task queued at a point runs in that point's schema, on a real worker."""
from django_tenants.utils import tenant_context

from tenants.tasks import describe_point


def test_task_queued_from_a_point_runs_in_its_schema(network, celery_worker):
    results = {}
    for point in (network.village, network.other_village):
        with tenant_context(point):
            results[point.slug] = describe_point.delay()
    for point in (network.village, network.other_village):
        seen = results[point.slug].get(timeout=60)
        assert seen == {"schema": point.schema_name, "site_hostname": point.primary_host,
                        "home_title": point.name}


def test_beat_schedules_the_heartbeat_and_a_worker_runs_it(celery_worker):
    import time

    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from tenants.tasks import last_heartbeat

    started = timezone.now()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        beat = last_heartbeat()
        if beat and parse_datetime(beat) > started:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"no heartbeat from beat since {started}: last {last_heartbeat()}")
