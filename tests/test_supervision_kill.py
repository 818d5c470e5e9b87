"""电子监察 under failure (issue 14): a Celery worker running the monitor over a
county's few hundred late cases is killed (SIGKILL) while it raises warnings,
then run again: every warning is raised exactly once, each with its one
`warning_raised` event in its case's chain and its notices, and nothing half
written is ever seen between the runs.

The worker is our own (its own process group, so the kill does not touch the
session's worker), on the run's broker, consuming a queue of its own to which
the test sends `supervision.tasks.check_warnings` for its county (the pattern
of tests/test_cases_delivery.py).
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import connection

ITEM = "YM-MZJ-GG-002"
ID = "11010519491231002X"
CASES = 120  # each gets two red warnings (补正/不予受理 not told in time, a handoff not taken up)
QUEUE = f"supervision-{os.getpid()}"
TZ = ZoneInfo("Asia/Shanghai")


class Worker:
    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        from tests.conftest import ROOT, child_env

        self.starts += 1
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "yimen", "worker", "-l", "warning", "--concurrency", "1",
             "-Q", QUEUE, "-n", f"{QUEUE}-{self.starts}@%h"],
            env=child_env(), cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def _ten_working_days_ago() -> dt.datetime:
    from cases import clock, workdays

    day = clock.today()
    for _ in range(10):
        day -= dt.timedelta(days=1)
        while not workdays.is_workday(day):
            day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), TZ)


def _late_cases(network) -> list[int]:
    """Cases received and handed up to the township ten working days ago, still waiting there.

    Made here, in the test's own process: a forked clerk process deadlocks in
    kombu's after-fork cleanup when the parent holds a broker connection (seen
    in a full run), and 120 cases take seconds."""
    from cases import clock, services

    village = services.Actor(network.user("v-clerk", network.village, "clerk"), network.village, "10.0.0.1")
    ids = []
    with clock.replaying(_ten_working_days_ago()):
        for n in range(CASES):
            case = services.open_case(village, services.Intake(ITEM, services.Applicant(
                "person", "李桂兰", ID, f"138{n:08d}"), [services.MaterialCheck("居民身份证", present=True),
                                                      services.MaterialCheck("数字相片", present=True)]))
            services.hand_up(case.pk, village)
            ids.append(case.pk)
    return ids


def _consistent(ids: list[int]) -> Counter:
    """Each warning has exactly its one raised event and its notices; returns warnings per case."""
    from cases.models import CaseEvent, Notice
    from supervision.models import Warning

    warnings = list(Warning.objects.filter(case_id__in=ids).values_list("pk", "case_id", "colour", "point_id"))
    raised = Counter(CaseEvent.objects.filter(case_id__in=ids, action="warning_raised").values_list("case_id",
                                                                                                   flat=True))
    per_case = Counter(case_id for _, case_id, _, _ in warnings)
    assert raised == per_case, "a warning without its event, or an event without its warning"
    keys = Counter(Notice.objects.filter(case_id__in=ids, kind="supervise").values_list("key", flat=True))
    assert set(keys.values()) <= {1}
    owners = {int(key.split(":")[1]) for key in keys}
    assert owners == {pk for pk, *_ in warnings}, "a notice without its warning, or a warning without its notices"
    assert all(f"warn:{pk}:{point_id}" in keys for pk, _, _, point_id in warnings)
    return per_case


def test_warnings_raised_exactly_once_with_the_worker_killed_mid_run(network):
    from cases import history
    from cases.models import Case, Notice
    from supervision import monitor
    from supervision.models import Colour, Rule, Warning
    from supervision.tasks import check_warnings

    worker = Worker()
    worker.start()  # it boots while the cases are made
    started = time.monotonic()
    ids = _late_cases(network)
    made = time.monotonic() - started
    expected = 2 * CASES
    try:
        check_warnings.apply_async(args=[network.county.pk], queue=QUEUE)
        deadline = time.monotonic() + 120
        while (done := Warning.objects.filter(case_id__in=ids).count()) < expected // 5:
            assert time.monotonic() < deadline, f"the worker raised only {done} warnings"
            time.sleep(0.05)
        worker.kill()  # mid-run: some warnings raised, the one in flight rolled back
        connection.close()
        killed_at = Warning.objects.filter(case_id__in=ids).count()
        assert 0 < killed_at < expected, killed_at
        _consistent(ids)

        worker.start()
        check_warnings.apply_async(args=[network.county.pk], queue=QUEUE)
        deadline = time.monotonic() + 180
        while (done := Warning.objects.filter(case_id__in=ids).count()) < expected:
            assert time.monotonic() < deadline, f"{done} of {expected} warnings after the re-run"
            time.sleep(0.2)
    finally:
        worker.kill()

    assert monitor.check(network.county).raised == 0  # a run in-process finds nothing new either
    per_case = _consistent(ids)
    assert set(per_case.values()) == {2} and len(per_case) == CASES
    assert Counter(Warning.objects.filter(case_id__in=ids).values_list("rule", "colour", "point_id")) == {
        (Rule.NOTIFY, Colour.RED, network.township.pk): CASES, (Rule.HANDOFF, Colour.RED, network.township.pk): CASES}
    # Red: the township's supervisors and the county's, one notice each.
    notices = Counter(Notice.objects.filter(case_id__in=ids, kind="supervise").values_list("point_id", flat=True))
    assert notices == {network.township.pk: expected, network.county.pk: expected}
    print(f"{CASES} cases made in {made:.1f} s; killed after {killed_at} of {expected} warnings, all raised "
          f"{time.monotonic() - started:.1f} s after the start; {worker.starts} worker starts")
    cases = Case.objects.filter(pk__in=ids)
    assert history.verify_all(cases) == []
    call_command("verify_case_history", *cases.values_list("number", flat=True)[:20], stdout=open(os.devnull, "w"))
