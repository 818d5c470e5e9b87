"""电子监察 (issue 14): each rule raises its warning and clears it, a run twice
raises nothing twice, a warning's history (raised, seen, explained, cleared)
is in the case's hash chain and the chain still verifies, the network's rules
are checked as a whole and versioned, and the dashboard shows a supervisor
their subtree and never a sibling's.

The monitor runs here in-process on this module's county only
(`monitor.check(county, now=…)`), with `now` moved on to when a limit has
passed; the cases themselves are played through cases.services.
"""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: 3 working days, decided by the county's 民政局, 不收费
ID = "11010519491231002X"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    from tests.conftest import Network

    with django_db_blocker.unblock():
        return Network()


@pytest.fixture(scope="module")
def tiers(network, django_db_blocker):
    from cases.models import DeskAssignment
    from cases.services import Actor

    with django_db_blocker.unblock():
        desk = network.user("c-mzj", network.county, "clerk")
        DeskAssignment.objects.create(point=network.county, user=desk, department="民政局")

        class Tiers:
            village = Actor(network.user("v-clerk", network.village, "clerk"), network.village, "10.0.0.1")
            township = Actor(network.user("t-clerk", network.township, "clerk"), network.township, "10.0.0.2")
            county = Actor(desk, network.county, "10.0.0.3")
            other_village = Actor(network.user("v2-clerk", network.other_village, "clerk"), network.other_village)
        return Tiers


def _open(actor, n: int = 0):
    from cases import services

    return services.open_case(actor, services.Intake(ITEM, services.Applicant("person", "王秀英", ID, f"139{n:08d}"), [
        services.MaterialCheck("居民身份证", present=True, original=True, copies=1),
        services.MaterialCheck("数字相片", present=True, copies=1)]))


def _at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), TZ)


def _today() -> dt.date:
    from cases import clock

    return clock.today()


def _run(network, now):
    from supervision import monitor

    return monitor.check(network.county, now=now)


def _warnings(case, rule=None):
    from supervision.models import Warning

    found = Warning.objects.filter(case=case).order_by("pk")
    return list(found.filter(rule=rule) if rule else found)


def _actions(case) -> list[str]:
    return list(case.events.order_by("seq").values_list("action", flat=True))


def _verified(case) -> None:
    from cases import history

    assert history.verify(case) is None
    call_command("verify_case_history", case.number, stdout=open(os.devnull, "w"))


def test_due_date_yellow_then_red_then_cleared_once_delivered(network, tiers):
    from cases import services, workdays
    from cases.models import Notice
    from supervision.models import Colour, Rule

    case = _open(tiers.village)
    services.hand_up(case.pk, tiers.village)
    services.hand_up(case.pk, tiers.township)
    case = services.accept(case.pk, tiers.county)
    due = case.due_date

    assert _warnings(case, Rule.DUE) == [] and _run(network, _at(due)).errors == []
    # On the due day (0 working days left, within 1): yellow, to the county's supervisors only.
    [yellow] = _warnings(case, Rule.DUE)
    assert (yellow.colour, yellow.point_id, yellow.cleared_at) == (Colour.YELLOW, network.county.pk, None)
    assert "距办结期限还有 0 个工作日" in yellow.reason
    assert list(Notice.objects.filter(key__startswith=f"warn:{yellow.pk}:").values_list("point_id", "kind")) == \
        [(network.county.pk, "supervise")]

    # A working day past it: red; the yellow is cleared as escalated.
    _run(network, _at(workdays.add_working_days(due, 1)))
    yellow, red = _warnings(case, Rule.DUE)
    assert yellow.cleared_at is not None and yellow.cleared_reason == "已升级为红牌"
    assert (red.colour, red.cleared_at) == (Colour.RED, None) and "已超过办结期限 1 个工作日" in red.reason

    services.decide(case.pk, tiers.county, granted=True, text="准予办理")
    services.deliver(case.pk, tiers.village, method="window")
    _run(network, _at(workdays.add_working_days(due, 2)))
    red = _warnings(case, Rule.DUE)[1]
    assert red.cleared_at is not None and "送达" in red.cleared_reason
    assert _actions(case).count("warning_raised") == 2 and _actions(case).count("warning_cleared") == 2
    _verified(case)


def test_not_notified_within_five_working_days_and_cleared_by_the_supplement_request(network, tiers):
    from cases import services, workdays
    from cases.models import Notice
    from supervision.models import Colour, Rule

    case = _open(tiers.village, 1)
    _run(network, _at(case.notify_by, 9))
    [yellow] = _warnings(case, Rule.NOTIFY)
    assert yellow.colour == Colour.YELLOW and yellow.point_id == network.village.pk

    _run(network, _at(workdays.add_working_days(case.notify_by, 1)))
    yellow, red = _warnings(case, Rule.NOTIFY)
    assert red.colour == Colour.RED and "5 个工作日内未受理" in red.reason
    # A red warning goes to the holder's supervisors and one level up.
    assert set(Notice.objects.filter(key__startswith=f"warn:{red.pk}:").values_list("point_id", flat=True)) == \
        {network.village.pk, network.township.pk}

    services.request_supplement(case.pk, tiers.village, ["数字相片"])
    _run(network, _at(workdays.add_working_days(case.notify_by, 2)))
    assert all(w.cleared_at is not None for w in _warnings(case, Rule.NOTIFY))
    _verified(case)


def _moment_with_hours(sent: dt.datetime, low: float, high: float) -> dt.datetime:
    from supervision.monitor import working_hours

    moment = sent
    while not low <= working_hours(sent, moment) < high:
        moment += dt.timedelta(minutes=30)
    return moment


def test_a_handoff_not_taken_up_is_yellow_then_red_and_cleared_when_taken(network, tiers):
    from cases import services
    from supervision.models import Colour, Rule

    case = _open(tiers.village, 2)
    services.hand_up(case.pk, tiers.village)
    first = case.handoffs.get()
    sent = first.sent_at
    _run(network, _moment_with_hours(sent, 4, 8))  # default rules: 4 working hours yellow, 8 red
    [yellow] = _warnings(case, Rule.HANDOFF)
    assert (yellow.colour, yellow.point_id) == (Colour.YELLOW, network.township.pk)
    assert "个工作小时未接收" in yellow.reason

    _run(network, _moment_with_hours(sent, 8, 1000))
    assert [w.colour for w in _warnings(case, Rule.HANDOFF)] == [Colour.YELLOW, Colour.RED]

    services.hand_up(case.pk, tiers.township)  # the township takes it up and sends it on
    _run(network, _moment_with_hours(sent, 8, 1000))
    handoff_warnings = [w for w in _warnings(case, Rule.HANDOFF) if w.anchor == f"h{first.pk}"]
    assert len(handoff_warnings) == 2 and all(w.cleared_at is not None for w in handoff_warnings)
    assert handoff_warnings[1].cleared_reason == "转办已被接收或退回"
    _verified(case)


def test_a_fee_for_a_free_item_is_red_until_refunded(network, tiers):
    from cases import services
    from cases.errors import CaseError
    from supervision.models import Colour, Rule

    case = _open(tiers.village, 3)
    with pytest.raises(CaseError, match="正确的金额"):
        services.record_fee(case.pk, tiers.village, "十元")
    services.record_fee(case.pk, tiers.village, "20", "工本费")
    now = _at(_today(), 10)
    _run(network, now)
    [red] = _warnings(case, Rule.FEE)
    assert red.colour == Colour.RED and red.reason == "事项标准为不收费，却已收取 20.00 元"

    with pytest.raises(CaseError, match="退还金额超过已收费用"):
        services.record_fee(case.pk, tiers.village, "-25")
    services.record_fee(case.pk, tiers.village, "-20", "已全额退还")
    _run(network, now)
    red = _warnings(case, Rule.FEE)[0]
    assert red.cleared_at is not None and red.cleared_reason.startswith("费用已退还")
    assert [a for a in _actions(case) if a not in ("receive_window",)] == \
        ["charge_fee", "warning_raised", "refund_fee", "warning_cleared"]
    _verified(case)


def test_an_event_after_close_is_a_reopening_until_closed_again(network, tiers):
    from cases import services
    from cases.models import Status
    from supervision.models import Colour, Rule

    case = _open(tiers.village, 4)
    services.hand_up(case.pk, tiers.village)
    services.hand_up(case.pk, tiers.township)
    services.accept(case.pk, tiers.county)
    services.decide(case.pk, tiers.county, granted=True, text="准予办理")
    services.deliver(case.pk, tiers.village, method="window")
    services.close(case.pk, tiers.village)
    now = _at(_today(), 10)
    _run(network, now)
    assert _warnings(case, Rule.REOPENED) == []

    # Someone takes 办结 back (a step outside the normal path, still in the chain).
    services.record_step(case.pk, tiers.village, "undo_close", "clerk",
                         lambda c: setattr(c, "status", Status.DELIVERED), note="撤销办结")
    _run(network, now)
    [red] = _warnings(case, Rule.REOPENED)
    assert red.colour == Colour.RED and red.reason.startswith("办结后又有办理") and "undo_close" in red.reason

    services.close(case.pk, tiers.village)
    _run(network, now)
    assert _warnings(case, Rule.REOPENED)[0].cleared_at is not None
    _verified(case)


def test_running_twice_raises_nothing_twice(network, tiers):
    from cases import services
    from cases.models import CaseEvent, Notice
    from supervision.models import Warning

    case = _open(tiers.other_village, 5)
    services.record_fee(case.pk, tiers.other_village, "5")
    now = _at(_today(), 10)
    _run(network, now)
    counted = (Warning.objects.count(), CaseEvent.objects.filter(case__holder__region_code__startswith=
                                                                 network.county.county_code).count(),
               Notice.objects.filter(kind="supervise").count())
    again = _run(network, now)
    assert (again.raised, again.cleared) == (0, 0)
    assert (Warning.objects.count(), CaseEvent.objects.filter(
        case__holder__region_code__startswith=network.county.county_code).count(),
        Notice.objects.filter(kind="supervise").count()) == counted

    # Even a raise that skips the look-up (a second worker racing the first) inserts nothing.
    from supervision import monitor, rules

    [warning] = _warnings(case)
    finding = monitor.Finding(case.pk, warning.point_id, warning.rule, warning.colour, warning.anchor, "再次")
    assert monitor.raise_warning(finding, rules.current(network.county), now) is None
    assert len(_warnings(case)) == 1 and _actions(case).count("warning_raised") == 1


def test_seen_and_explained_are_in_the_chain_by_the_supervisor_or_the_holding_clerk(network, tiers):
    from cases import services
    from supervision import services as supervision
    from supervision.models import Rule

    supervisor = network.user("t-duban", network.township, "supervisor")
    stranger = network.user("v2-clerk-b", network.other_village, "clerk")
    case = _open(tiers.village, 6)
    services.record_fee(case.pk, tiers.village, "8")
    _run(network, _at(_today(), 10))
    [warning] = _warnings(case, Rule.FEE)

    with pytest.raises(supervision.SupervisionError, match="没有这条预警"):
        supervision.mark_seen(warning.pk, stranger, network.other_village)
    with pytest.raises(supervision.SupervisionError, match="请填写情况说明"):
        supervision.explain(warning.pk, supervisor, network.township, "  ")
    supervision.mark_seen(warning.pk, supervisor, network.township)
    with pytest.raises(supervision.SupervisionError, match="已于"):
        supervision.mark_seen(warning.pk, supervisor, network.township)
    supervision.explain(warning.pk, tiers.village.user, network.village, "误收工本费，已联系申请人退还。")
    warning.refresh_from_db()
    assert warning.seen_by == supervisor and warning.explained_by == tiers.village.user
    events = list(case.events.filter(action__startswith="warning_").order_by("seq"))
    assert [(e.action, e.role) for e in events] == [
        ("warning_raised", "monitor"), ("warning_seen", "supervisor"), ("warning_explained", "clerk")]
    assert "误收工本费" in events[-1].note and not any(e.public for e in events)
    _verified(case)


# --- the rules ----------------------------------------------------------------------

def test_a_rule_set_is_checked_as_a_whole_and_versioned(network, tiers, client_at):
    from supervision import rules
    from supervision.models import RuleSet, Warning

    central = network.user("central-sv", network.county, "central_admin")
    first = rules.current(network.county)
    good = {f.name: str(getattr(first, f.name)) for f in rules.FIELDS}
    client = client_at(network.county)
    client.force_login(central)

    bad = {**good, "due_yellow_days": "0", "handoff_yellow_hours": "8", "handoff_red_hours": "6",
           "notify_yellow_days": "abc", "note": "试一试"}
    response = client.post("/admin/supervision/rules/", bad)
    page = response.content.decode()
    assert response.status_code == 400
    assert "“办结期限前几个工作日亮黄牌”必须是正数" in page
    assert "必须短于红牌时限" in page
    assert "必须是整数" in page
    response = client.post("/admin/supervision/rules/", {**good, "note": ""})
    assert "请填写修订说明" in response.content.decode()
    response = client.post("/admin/supervision/rules/", {**good, "note": "没改"})
    assert "与现行第" in response.content.decode()
    assert RuleSet.objects.of_point(network.county).count() == 1  # nothing written

    # A township supervisor reads the rules but may not change them.
    reader = client_at(network.township)
    reader.force_login(network.user("t-duban-r", network.township, "supervisor"))
    assert "现行规则" in reader.get("/admin/supervision/rules/").content.decode()
    assert reader.post("/admin/supervision/rules/", {**good, "due_yellow_days": "2", "note": "x"}).status_code == 403

    response = client.post("/admin/supervision/rules/", {**good, "handoff_red_hours": "12", "note": "转办红牌放宽"})
    assert response.status_code == 302
    second = rules.current(network.county)
    assert (second.version, second.handoff_red_hours, second.created_by) == (2, 12, central)
    first.refresh_from_db()
    assert first.handoff_red_hours == 8  # the old version is kept as it was
    # A warning raised now records the version that raised it.
    from cases import services

    case = _open(tiers.village, 7)
    services.record_fee(case.pk, tiers.village, "3")
    _run(network, _at(_today(), 10))
    assert Warning.objects.get(case=case).rule_set == second
    # Back to the defaults for the module's other tests: a third version.
    rules.publish(central, network.county, good, "恢复默认")
    assert rules.current(network.county).version == 3


# --- the dashboard --------------------------------------------------------------------

def test_a_township_supervisor_sees_its_villages_and_never_the_sibling(network, tiers, client_at):
    from cases import services
    from supervision.models import Rule

    mine, theirs = _open(tiers.village, 8), _open(tiers.other_village, 9)
    for case, actor in ((mine, tiers.village), (theirs, tiers.other_village)):
        services.record_fee(case.pk, actor, "15")
    _run(network, _at(_today(), 10))
    [warning] = _warnings(mine, Rule.FEE)

    supervisor = network.user("t-duban-d", network.township, "supervisor")
    client = client_at(network.township)
    client.force_login(supervisor)
    response = client.get("/admin/supervision/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "电子监察" in page and f"{network.township.name}及下级服务点" in page
    assert "<caption>各服务点的在办件、超期件和预警" in page and "<caption>在效预警" in page
    assert mine.number in page and theirs.number not in page
    assert f'href="/admin/supervision/points/{network.village.pk}/"' in page
    assert network.other_village.name not in page and network.other_township.name not in page
    assert "不收费，却已收取 15.00 元" in page

    # One click down to the village; a direct URL to the sibling township or its village is refused.
    village_page = client.get(f"/admin/supervision/points/{network.village.pk}/").content.decode()
    assert mine.number in village_page and f"{network.village.name}及下级服务点" in village_page
    for point in (network.other_township, network.other_village, network.county):
        refused = client.get(f"/admin/supervision/points/{point.pk}/")
        assert refused.status_code == 403
        assert "只能查看本服务点及其下级服务点的电子监察" in refused.content.decode()
        assert theirs.number not in refused.content.decode()

    # Marking seen from the dashboard: the chain records it.
    response = client.post(f"/admin/supervision/warnings/{warning.pk}/seen/",
                           {"next": f"/admin/supervision/points/{network.village.pk}/"})
    assert response.status_code == 302 and response["Location"].endswith(f"/points/{network.village.pk}/")
    assert "已阅" in client.get(response["Location"]).content.decode()
    assert "warning_seen" in _actions(mine)


def test_the_county_reaches_every_village_in_one_click_and_a_clerk_only_its_own_point(network, tiers, client_at):
    from supervision.models import Rule

    county = client_at(network.county)
    county.force_login(network.user("c-duban", network.county, "supervisor"))
    page = county.get("/admin/supervision/").content.decode()
    for point in (network.township, network.other_township, network.village, network.other_village, network.park):
        assert f'href="/admin/supervision/points/{point.pk}/"' in page

    # The village clerk: its own dashboard, explain a warning of its point; nobody else's dashboard.
    case = _open(tiers.village, 10)
    from cases import services

    services.record_fee(case.pk, tiers.village, "1")
    _run(network, _at(_today(), 10))
    [warning] = _warnings(case, Rule.FEE)
    clerk = client_at(network.village)
    clerk.force_login(tiers.village.user)
    assert case.number in clerk.get("/admin/supervision/").content.decode()
    refused = clerk.get(f"/admin/supervision/points/{network.other_village.pk}/")
    assert refused.status_code == 403 and "只能查看本服务点" in refused.content.decode()
    sibling = client_at(network.other_village)
    sibling.force_login(tiers.other_village.user)
    response = sibling.post(f"/admin/supervision/warnings/{warning.pk}/explain/", {"explanation": "不是我们的"},
                            follow=True)
    assert "没有这条预警" in response.content.decode()
    warning.refresh_from_db()
    assert warning.explanation == ""
    response = clerk.post(f"/admin/supervision/warnings/{warning.pk}/explain/", {"explanation": "已退费"},
                          follow=True)
    assert "情况说明已保存" in response.content.decode()
    warning.refresh_from_db()
    assert warning.explanation == "已退费" and warning.seen_at is not None

    # An editor of the point has no 电子监察 at all.
    editor = client_at(network.village)
    editor.force_login(network.user("v-editor", network.village, "editor"))
    assert editor.get("/admin/supervision/").status_code == 403
