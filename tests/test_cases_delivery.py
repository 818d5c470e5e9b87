"""The cases' outbox under failure (issue 12): a thousand cases go up the tiers
while the worker that delivers their notices is killed (SIGKILL) and restarted
several times; every case ends where it should and every notice goes out
exactly once. And an SMS provider that fails is tried again later, and its
message recorded once.

The worker here is our own (its own process group, so the kills do not touch
the session's worker), on the run's broker, consuming a queue of its own to
which the test sends the cases' delivery task: on the common queue it would
spend the test indexing the points the suite makes. A delivery task lost with
a killed worker stays unacknowledged on the broker; beat's sweep
(`cases.tasks.deliver_pending`) is what takes its notices over, and the test
sends that sweep itself, once a second, while it waits for the last notices.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F

ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: accepted at villages, decided by the county's 民政局
ID = "11010519491231002X"
CASES = 1000
BATCH = 25
PRODUCERS = 2  # clerks working at once (threads, each its own database connection)
QUEUE = f"cases-delivery-{os.getpid()}"
# The worker's connections carry this name, so the test sees its transactions in pg_stat_activity.
WORKER_APP = f"yimen-delivery-test-{os.getpid()}"


def _applicant(n: int):
    from cases.services import Applicant

    return Applicant(kind="person", name="王秀英", id_number=ID, phone=f"139{n:08d}")


def _materials():
    from cases.services import MaterialCheck

    return [MaterialCheck("居民身份证", present=True, original=True, copies=1),
            MaterialCheck("数字相片", present=True, copies=1)]


@pytest.fixture
def actors(network):
    """A clerk at the village and the township, and the county's 民政局 desk."""
    from cases.models import DeskAssignment
    from cases.services import Actor

    desk = network.user("c-mzj", network.county, "clerk")
    DeskAssignment.objects.create(point=network.county, user=desk, department="民政局")
    return (Actor(network.user("v-clerk", network.village, "clerk"), network.village, "10.0.0.1"),
            Actor(network.user("t-clerk", network.township, "clerk"), network.township, "10.0.0.2"),
            Actor(desk, network.county, "10.0.0.3"))


def _raw_connection():
    db = settings.DATABASES["default"]
    connection = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                                  host=db["HOST"], port=db["PORT"])
    connection.autocommit = True
    return connection


class Worker:
    """Our own Celery worker (a pool of two processes) on QUEUE; killed and restarted at will."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        from tests.conftest import ROOT, child_env

        self.starts += 1
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "yimen", "worker", "-l", "warning", "--concurrency", "2",
             "-Q", QUEUE, "-n", f"{QUEUE}-{self.starts}@%h"],
            env={**child_env(), "PGAPPNAME": WORKER_APP}, cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class Killer(threading.Thread):
    """Kills the worker at random moments while one of its transactions is
    open, checks that transaction rolled back and nothing half-done is left,
    and restarts it."""

    def __init__(self, worker: Worker, kills: int, village: int):
        super().__init__(daemon=True)
        self.worker, self.kills, self.village = worker, kills, village
        self.done = threading.Event()
        self.carried = threading.Event()  # all cases carried: kills left need not wait for a transaction
        self.outcomes: list[str] = []  # per kill: the killed transaction's fate, or "idle"
        self.mismatches: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            connection = _raw_connection()
            try:
                for _ in range(self.kills):
                    if self.done.wait(random.uniform(1.0, 5.0)):
                        break
                    self._kill_once(connection.cursor())
                    self.worker.start()
            finally:
                connection.close()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def _kill_once(self, cursor) -> None:
        # A writing transaction of the worker (it holds an xid once it has locked a
        # notice); a worker just restarted may take a while to boot on a busy machine.
        cursor.execute("SELECT txid_current() >> 32")
        (epoch,) = cursor.fetchone()
        xid = None
        deadline = time.monotonic() + 60
        while xid is None and time.monotonic() < deadline and not self.carried.is_set():
            cursor.execute("SELECT backend_xid::text FROM pg_stat_activity "
                           "WHERE application_name = %s AND backend_xid IS NOT NULL LIMIT 1", [WORKER_APP])
            row = cursor.fetchone()
            xid = int(row[0]) if row else None
            if xid is None:
                time.sleep(0.003)
        self.worker.kill()
        # PostgreSQL ends the dead worker's sessions (and rolls them back) once it sees their sockets closed.
        deadline = time.monotonic() + 30
        while True:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [WORKER_APP])
            if cursor.fetchone()[0] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if xid is None:
            self.outcomes.append("idle")
        else:
            cursor.execute("SELECT txid_status(%s)", [(epoch << 32) | xid])
            self.outcomes.append(cursor.fetchone()[0])
        # No message without its notice marked delivered, and no notice marked without its message.
        cursor.execute("SELECT count(*) FROM cases_notice n JOIN cases_case c ON c.id = n.case_id "
                       "LEFT JOIN cases_smsmessage m ON m.notice_id = n.id "
                       "WHERE n.kind = 'sms' AND c.origin_point_id = %s AND (m.id IS NULL) <> (n.delivered_at IS NULL)",
                       [self.village])
        (half_done,) = cursor.fetchone()
        if half_done:
            self.mismatches.append(f"after kill {len(self.outcomes)}: {half_done} notices half delivered")


@pytest.fixture
def notices_queue(monkeypatch):
    """The delivery task that a step's commit sends goes to QUEUE (as a county
    would give notices workers of their own)."""
    from cases.tasks import deliver_notices

    monkeypatch.setattr(deliver_notices, "queue", QUEUE, raising=False)
    monkeypatch.setattr(deliver_notices, "_exec_options", None)  # Celery caches the options it read
    return QUEUE


def _carry(actors, numbers: range, ids: list[int], errors: list[BaseException]) -> None:
    """One clerk's share: batches of cases opened at the village and carried up to the county's decision."""
    from cases import services

    village, township, county = actors
    try:
        for first in range(numbers.start, numbers.stop, BATCH):
            batch = [services.open_case(village, services.Intake(ITEM, _applicant(n), _materials())).pk
                     for n in range(first, min(first + BATCH, numbers.stop))]
            for case_id in batch:
                services.hand_up(case_id, village)
            for case_id in batch:
                services.hand_up(case_id, township)
            for case_id in batch:
                services.accept(case_id, county)
            for case_id in batch:
                services.decide(case_id, county, granted=True, text="准予办理老年人优待证")
            ids += batch
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)
    finally:
        connection.close()


def test_a_thousand_cases_through_the_tiers_while_the_worker_is_killed(network, actors, notices_queue):
    from cases.delivery import INBOX_TEXTS, SMS_TEXTS
    from cases.models import Case, Handoff, Notice, SmsMessage, Status
    from cases.tasks import deliver_pending

    steps = ["receive_window", "hand_up", "hand_up", "accept", "decide"]
    worker = Worker()
    killer = Killer(worker, kills=random.randint(3, 5), village=network.village.pk)
    worker.start()
    killer.start()
    ids: list[int] = []
    errors: list[BaseException] = []
    share = CASES // PRODUCERS
    clerks = [threading.Thread(target=_carry, args=(actors, range(n * share, (n + 1) * share), ids, errors))
              for n in range(PRODUCERS)]
    started = time.monotonic()
    try:
        for clerk in clerks:
            clerk.start()
        for clerk in clerks:
            clerk.join()
        killer.carried.set()
        assert errors == []
        carried = time.monotonic() - started
        killer.join(150)  # the kills left go on while the worker catches up
        assert not killer.is_alive() and killer.error is None, killer.error

        deadline = time.monotonic() + 180  # a loaded machine: a worker restarted late catches up
        while (pending := Notice.objects.filter(case_id__in=ids, delivered_at__isnull=True).count()) > 0:
            assert time.monotonic() < deadline, f"{pending} notices still undelivered"
            deliver_pending.apply_async(queue=QUEUE)  # as beat does, for notices of a task lost with a worker
            time.sleep(1)
        print(f"{CASES} cases carried in {carried:.1f} s, all notices out after {time.monotonic() - started:.1f} s; "
              f"{worker.starts} worker starts, kills: {killer.outcomes}")
    finally:
        killer.done.set()
        killer.join(30)
        worker.kill()

    assert killer.mismatches == []
    assert len(killer.outcomes) >= 3, killer.outcomes
    assert "aborted" in killer.outcomes, f"no kill caught the worker inside a transaction: {killer.outcomes}"

    cases = Case.objects.filter(pk__in=ids)
    assert cases.count() == CASES
    assert set(cases.values_list("status", "holder_id").distinct()) == {(Status.DECIDED, network.village.pk)}
    handoffs = Counter(Handoff.objects.filter(case_id__in=ids).values_list("to_point_id", "status", "upward"))
    assert handoffs == {(network.township.pk, "taken", True): CASES, (network.county.pk, "taken", True): CASES,
                        (network.village.pk, "delivered", False): CASES}

    # Exactly the notices the steps cause: an SMS per step the applicant hears of,
    # an inbox notice at the township, the county and (the decision) back at the village.
    sms_per_case = sum(step in SMS_TEXTS for step in steps)
    inbox_per_case = sum(step in INBOX_TEXTS for step in steps)
    per_case = Counter(Notice.objects.filter(case_id__in=ids).values_list("case_id", "kind"))
    assert {count for (_, kind), count in per_case.items() if kind == "sms"} == {sms_per_case}
    assert {count for (_, kind), count in per_case.items() if kind == "inbox"} == {inbox_per_case}
    assert len(per_case) == 2 * CASES
    inboxes = Counter(Notice.objects.filter(case_id__in=ids, kind="inbox").values_list("point_id", flat=True))
    assert inboxes == {network.township.pk: CASES, network.county.pk: CASES, network.village.pk: CASES}

    # Every SMS notice has exactly one message, to its applicant, with its text; nothing else has one.
    notices = Notice.objects.filter(case_id__in=ids)
    assert notices.filter(delivered_at__isnull=True).count() == 0
    sent = Counter(SmsMessage.objects.filter(notice__case_id__in=ids).values_list("notice_id", flat=True))
    sms_ids = set(notices.filter(kind="sms").values_list("pk", flat=True))
    assert set(sent) == sms_ids and set(sent.values()) == {1}
    assert not SmsMessage.objects.filter(notice__case_id__in=ids, notice__kind="inbox").exists()
    assert not (SmsMessage.objects.filter(notice__case_id__in=ids)
                .exclude(phone=F("notice__phone"), text=F("notice__text")).exists())
    assert not SmsMessage.objects.filter(notice__case_id__in=ids).exclude(phone=F("notice__case__phone")).exists()
    case = cases.get(pk=ids[0])
    first = notices.filter(case=case, kind="sms").order_by("id").first()
    assert first.sms.text == SMS_TEXTS["receive_window"].format(name="王秀英", item=case.item_name,
                                                                origin=network.village.name, number=case.number)

    call_command("verify_case_history", *cases.values_list("number", flat=True), stdout=open(os.devnull, "w"))


class FlakyProvider:
    """The table provider, except that the first send to FLAKY_PHONE fails (a gateway time-out)."""

    failures: list[str] = []

    def send(self, notice) -> None:
        from cases.sms import TableProvider

        if notice.phone == FLAKY_PHONE and not FlakyProvider.failures:
            FlakyProvider.failures.append(notice.key)
            raise TimeoutError("短信网关超时")
        TableProvider().send(notice)


FLAKY_PHONE = "13700000001"


def test_a_notice_whose_provider_fails_is_sent_again_later_and_once(network, actors, settings):
    """The test's notices stay uncommitted until it has delivered them itself, so
    the run's workers (which use the table provider) never see them."""
    from cases import delivery, services
    from cases.models import Notice, SmsMessage
    from cases.services import Applicant, Intake

    village = actors[0]
    settings.CASES_SMS_PROVIDER = "tests.test_cases_delivery.FlakyProvider"
    FlakyProvider.failures.clear()
    with transaction.atomic():
        flaky = services.open_case(village, Intake(ITEM, Applicant("person", "李四", ID, FLAKY_PHONE), _materials()))
        fine = services.open_case(village, Intake(ITEM, Applicant("person", "张三", ID, "13700000002"), _materials()))
        flaky_notice = Notice.objects.get(case=flaky, kind="sms")
        fine_notice = Notice.objects.get(case=fine, kind="sms")

        delivery.deliver_pending()
        flaky_notice.refresh_from_db()
        fine_notice.refresh_from_db()
        assert FlakyProvider.failures == [flaky_notice.key]
        assert flaky_notice.delivered_at is None and flaky_notice.attempts == 1
        assert flaky_notice.last_error == "短信网关超时"
        assert not SmsMessage.objects.filter(notice=flaky_notice).exists()  # the failed send left nothing
        assert fine_notice.delivered_at is not None and SmsMessage.objects.filter(notice=fine_notice).count() == 1

        delivery.deliver_pending()  # the next run (beat's sweep) tries it again
        delivery.deliver_pending()  # and one more run sends nothing twice
    flaky_notice.refresh_from_db()
    assert flaky_notice.delivered_at is not None and flaky_notice.attempts == 2
    assert SmsMessage.objects.filter(notice=flaky_notice).count() == 1
    assert SmsMessage.objects.filter(notice=fine_notice).count() == 1
    assert SmsMessage.objects.get(notice=flaky_notice).text.startswith("【一门】李四")
