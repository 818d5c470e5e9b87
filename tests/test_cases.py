"""Cases through the tiers (issue 12): intake at a village, handoff up to the
deciding county, return, decision back down, delivery; the rules each step
checks; the hash-chained, append-only history; case numbers under concurrent
intake."""
from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: accepted at villages, decided by the county in 3 working days
ID = "11010519491231002X"


def person(**extra):
    from cases.services import Applicant

    return Applicant(**{"kind": "person", "name": "王秀英", "id_number": ID, "phone": "13812345678", **extra})


def all_materials():
    from cases.services import MaterialCheck

    return [MaterialCheck("居民身份证", present=True, original=True, copies=1),
            MaterialCheck("数字相片", present=True, copies=1)]


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    """One network for the module (onboarding six points per test is most of its time)."""
    from tests.conftest import Network

    with django_db_blocker.unblock():
        return Network()


@pytest.fixture(scope="module")
def tiers(network, django_db_blocker):
    with django_db_blocker.unblock():
        return _tiers(network)


def _tiers(network):
    """A clerk at each tier of one branch, and the county's 民政局 desk."""
    from cases.models import DeskAssignment
    from cases.services import Actor

    class Tiers:
        village = Actor(network.user("v-clerk", network.village, "clerk"), network.village, "10.0.0.1")
        township = Actor(network.user("t-clerk", network.township, "clerk"), network.township, "10.0.0.2")
        county_window = Actor(network.user("c-clerk", network.county, "clerk"), network.county, "10.0.0.3")
        desk_user = network.user("c-mzj", network.county, "clerk")
        county_desk = Actor(desk_user, network.county, "10.0.0.4")
        other_village = Actor(network.user("v2-clerk", network.other_village, "clerk"), network.other_village)

    DeskAssignment.objects.create(point=network.county, user=Tiers.desk_user, department="民政局")
    return Tiers


def open_at(actor, **extra):
    from cases.services import Intake, open_case

    return open_case(actor, Intake(item_code=extra.pop("item_code", ITEM), applicant=extra.pop("applicant", person()),
                                   materials=extra.pop("materials", all_materials()), **extra))


def test_a_case_goes_up_the_tiers_and_its_result_comes_back_down(network, tiers):
    from cases import services
    from cases.models import Handoff, Status

    case = open_at(tiers.village)
    assert case.number.startswith(f"{network.village.region_code}-")
    assert case.deciding_point == network.county and case.holder == network.village
    assert case.status == Status.RECEIVED and case.version.promised_days == 3

    services.hand_up(case.pk, tiers.village)
    case = services.hand_up(case.pk, tiers.township)
    assert case.holder == network.county
    assert set(case.passed_points) == {network.village.pk, network.township.pk, network.county.pk}

    case = services.accept(case.pk, tiers.county_desk)
    assert case.status == Status.ACCEPTED and case.due_date is not None
    services.start_review(case.pk, tiers.county_desk)
    case = services.decide(case.pk, tiers.county_desk, granted=True, text="准予办理老年人优待证")
    assert case.status == Status.DECIDED and case.holder == network.village  # back where the citizen is
    case = services.deliver(case.pk, tiers.village, method="window", detail="本人领取")
    case = services.close(case.pk, tiers.village)
    assert case.status == Status.CLOSED
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["receive_window", "hand_up", "hand_up", "accept", "start_review", "decide", "deliver", "close"]
    first = case.events.first()
    assert first.point == network.village and first.role == "clerk" and first.address == "10.0.0.1"
    hand = list(Handoff.objects.filter(case=case).order_by("sent_at").values_list("to_point", "status", "upward"))
    assert hand == [(network.township.pk, "taken", True), (network.county.pk, "taken", True),
                    (network.village.pk, "delivered", False)]


def test_a_receiving_point_returns_a_case_with_a_reason(network, tiers):
    from cases import services
    from cases.errors import CaseError

    case = open_at(tiers.village)
    services.hand_up(case.pk, tiers.village)
    with pytest.raises(CaseError, match="退回理由"):
        services.return_down(case.pk, tiers.township, "  ")
    case = services.return_down(case.pk, tiers.township, "相片不符合规格")
    assert case.holder == network.village
    assert case.events.last().note == "相片不符合规格"


def test_illegal_steps_are_refused_in_chinese_and_change_nothing(network, tiers):
    from cases import services
    from cases.errors import CaseError
    from cases.models import Case

    case = open_at(tiers.village)
    with pytest.raises(CaseError, match="不是“老年人优待证办理”的决定机关"):
        services.accept(case.pk, tiers.village)
    with pytest.raises(CaseError, match="当前状态为“已收件”，不能作出决定"):
        services.decide(case.pk, tiers.village, granted=True, text="x")
    with pytest.raises(CaseError, match="现在由.*办理"):
        services.hand_up(case.pk, tiers.other_village)
    services.hand_up(case.pk, tiers.village)
    services.hand_up(case.pk, tiers.township)
    with pytest.raises(CaseError, match="民政局窗口"):
        services.accept(case.pk, tiers.county_window)  # the comprehensive window does not decide
    with pytest.raises(CaseError, match="就是“老年人优待证办理”的决定机关"):
        services.hand_up(case.pk, tiers.county_desk)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "received" and fresh.holder == network.county and fresh.events.count() == 3


def test_bad_input_at_intake_is_refused_and_opens_nothing(network, tiers, make_item):
    from cases.errors import CaseError
    from cases.models import Case
    from cases.services import MaterialCheck

    before = Case.objects.count()
    with pytest.raises(CaseError, match="校验位不对"):
        open_at(tiers.village, applicant=person(id_number="110105194912310021"))
    with pytest.raises(CaseError, match="不受理事项“YM-XXX-XK-999”"):
        open_at(tiers.village, item_code="YM-XXX-XK-999")
    county_only = make_item(adopt_at=[network.county], accept_tiers=["county"])
    with pytest.raises(CaseError, match="不受理事项"):
        open_at(tiers.village, item_code=county_only.code)
    with pytest.raises(CaseError, match="统一社会信用代码校验位不对"):
        open_at(tiers.village, applicant=person(kind="enterprise", id_number="91110000600037341A",
                                                legal_representative="李四"))
    with pytest.raises(CaseError, match="不在该事项的材料清单"):
        open_at(tiers.village, materials=[MaterialCheck("营业执照", present=True)])
    with pytest.raises(CaseError, match="手机号"):
        open_at(tiers.village, applicant=person(phone="12345"))
    assert Case.objects.count() == before


def test_a_second_submit_of_the_same_form_opens_no_second_case(network, tiers):
    from cases.models import Case
    from cases.services import DuplicateSubmission

    token = f"form-token-{network.tag}"
    first = open_at(tiers.village, token=token)
    before = Case.objects.filter(origin_point=network.village).count()
    with pytest.raises(DuplicateSubmission, match=first.number):
        open_at(tiers.village, token=token)
    assert Case.objects.filter(origin_point=network.village).count() == before


def test_missing_materials_need_a_supplement_or_tolerance_and_the_clock_stops(network, tiers, make_item):
    from cases import services
    from cases.errors import CaseError
    from cases.services import MaterialCheck

    base_materials = [
        {"name": "申请表", "form": "原件", "copies": 1, "source": "申请人提供", "required": True},
        {"name": "户口簿", "form": "复印件", "copies": 1, "source": "申请人提供", "required": True,
         "tolerable": True},
    ]
    version = make_item(adopt_at=[network.county], accept_tiers=["county"], materials=base_materials,
                        statutory_days=10, promised_days=5, department="民政局")
    case = open_at(tiers.county_window, item_code=version.code, materials=[MaterialCheck("户口簿", present=True)])
    assert [row["name"] for row in services.missing_materials(case)] == ["申请表"]
    with pytest.raises(CaseError, match="还缺少必需材料：申请表"):
        services.accept(case.pk, tiers.county_desk)
    with pytest.raises(CaseError, match="关键材料"):
        services.accept(case.pk, tiers.county_desk, tolerated=["申请表"], tolerance_due=dt.date(2099, 1, 1))
    case = services.request_supplement(case.pk, tiers.county_desk, ["申请表"])
    assert case.status == "supplement" and case.clock_stopped_on is not None
    case = services.supplement_received(case.pk, tiers.county_window)
    assert case.status == "received" and services.missing_materials(case) == []
    case = services.accept(case.pk, tiers.county_desk)
    assert case.due_date > dt.date.today()

    other = open_at(tiers.county_window, item_code=version.code,
                    materials=[MaterialCheck("申请表", present=True)])
    other = services.accept(other.pk, tiers.county_desk, tolerated=["户口簿"], tolerance_due=dt.date(2099, 1, 1))
    assert other.status == "accepted" and other.tolerance_materials == ["户口簿"]
    assert other.events.last().action == "accept_with_tolerance"


def test_history_is_append_only_and_a_change_behind_the_services_back_is_caught(network, tiers):
    from cases import history, services

    case, intact = open_at(tiers.village), open_at(tiers.village)
    services.hand_up(case.pk, tiers.village)
    event = case.events.get(seq=2)
    with pytest.raises(IntegrityError, match="只能追加"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_caseevent SET note = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(IntegrityError, match="只能追加"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])
    assert history.verify(case) is None
    call_command("verify_case_history", case.number)

    # Someone with the power to disable the trigger edits the first event.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_event_append_only")
        cursor.execute("UPDATE cases_caseevent SET actor_name = '别人' WHERE case_id = %s AND seq = 1", [case.pk])
        cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_event_append_only")
    broken = history.verify(case)
    assert broken is not None and broken.seq == 1 and "被改动" in broken.reason
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 件办件的事件链断开"):
        call_command("verify_case_history", case.number, intact.number, stderr=errors, stdout=io.StringIO())
    assert errors.getvalue().strip() == f"断开：{case.number} 第 1 个事件：内容与哈希不符（事件被改动）"
    # The cases named are the ones checked: an intact one passes, whatever else the network holds.
    call_command("verify_case_history", intact.number, stdout=io.StringIO())
    with pytest.raises(CommandError, match="没有这些办件"):
        call_command("verify_case_history", intact.number + "9", stdout=io.StringIO())


def test_concurrent_intakes_at_one_point_get_consecutive_numbers(network, tiers):
    from django.db import connections

    numbers, errors = [], []

    def intake():
        try:
            numbers.append(open_at(tiers.other_village).number)  # no other test opens cases there
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=intake) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequences == list(range(1, 13))


def test_a_history_written_in_another_time_zone_still_verifies(network, tiers):
    """Events written at a moment in Asia/Shanghai (the demo replays its stories so)
    come back from the database in UTC: the hash must not depend on the zone."""
    from zoneinfo import ZoneInfo

    from cases import clock, history, services

    moment = dt.datetime(2026, 11, 30, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.replaying(moment):
        case = open_at(tiers.village)
        services.hand_up(case.pk, tiers.village)
    assert case.events.first().at == moment
    assert history.verify(case) is None


def test_an_agent_acts_only_with_a_checked_power_of_attorney(network, tiers):
    from cases.errors import CaseError

    agent = {"agent_name": "王小明", "agent_id_number": "110105194912310021"[:-1] + "X"}
    with pytest.raises(CaseError, match="授权委托书"):
        open_at(tiers.village, applicant=person(**agent))
    case = open_at(tiers.village, applicant=person(**agent, power_of_attorney=True))
    assert case.agent_name == "王小明" and case.agent_power_of_attorney is True
