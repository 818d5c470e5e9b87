"""Statistics (issue 14): rollups kept from the cases' events agree to the unit
with a recount from the events at every level (village, township, county) and
with a rebuild; the incremental run is idempotent and counts an event that
commits after a higher id was read; a supervisor sees only figures of its
subtree; the public figures page; the Excel export holds the page's numbers."""
from __future__ import annotations

import datetime as dt
import io
import re
import threading

import pytest
from django.utils import timezone

ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: received at villages, decided by the county's 民政局 in 3 working days
ID = "11010519491231002X"


@pytest.fixture(scope="module")
def network(shared_network):
    return shared_network


class Staff:
    pass


_made: dict = {}


def _staff(network):
    from cases.models import DeskAssignment
    from cases.services import Actor

    if "staff" not in _made:
        s = Staff()
        s.village = Actor(network.user("s-v", network.village, "clerk"), network.village, "10.3.0.1")
        s.township = Actor(network.user("s-t", network.township, "clerk"), network.township, "10.3.0.2")
        s.other_village = Actor(network.user("s-v2", network.other_village, "clerk"), network.other_village)
        s.county = Actor(network.user("s-c", network.county, "clerk"), network.county, "10.3.0.3")
        DeskAssignment.objects.create(point=network.county, user=s.county.user, department="民政局")
        s.town_supervisor = network.user("s-tsup", network.township, "supervisor")
        s.county_supervisor = network.user("s-csup", network.county, "supervisor")
        _made["staff"] = s
    return _made["staff"]


def _open(actor):
    from cases.services import Applicant, Intake, MaterialCheck, open_case

    return open_case(actor, Intake(item_code=ITEM, applicant=Applicant("person", "王秀英", ID, "13812345678"),
                                   materials=[MaterialCheck("居民身份证", present=True, original=True, copies=1),
                                              MaterialCheck("数字相片", present=True, copies=1)]))


def _to_county(case, *actors):
    from cases import services

    for actor in actors:
        services.hand_up(case.pk, actor)


def _finish(case, decider, origin, *, method="window", grade=None):
    from cases import ratings, services

    services.decide(case.pk, decider, granted=True, text="准予")
    services.deliver(case.pk, origin, method=method, detail="" if method == "window" else "云溪路 1 号")
    services.close(case.pk, origin)
    if grade:
        ratings.rate(case.pk, grade, "" if grade > 2 else "等太久", channel="window")


def play(network):
    """Stories over the tiers: completed on time and late, refused after a return, withdrawn, at the county."""
    from cases import clock, services

    s = _staff(network)
    one = _open(s.village)
    _to_county(one, s.village, s.township)
    services.accept(one.pk, s.county)
    _finish(one, s.county, s.village, grade=5)

    two = _open(s.village)
    _to_county(two, s.village)
    services.return_down(two.pk, s.township, "材料不清晰")
    _to_county(two, s.village, s.township)
    services.refuse(two.pk, s.county, "不符合条件")

    three = _open(s.other_village)
    _to_county(three, s.other_village, _actor_at(network.other_township, network, "s-t2"))
    with clock.replaying(timezone.now() - dt.timedelta(days=20)):
        services.accept(three.pk, s.county)  # accepted 20 days ago, 3 working days promised: late
    _finish(three, s.county, s.other_village, method="post", grade=2)

    four = _open(s.county)
    services.accept(four.pk, s.county)
    _finish(four, s.county, s.county, grade=4)

    five = _open(s.village)
    services.withdraw(five.pk, s.village, "申请人书面申请撤回")
    return [one, two, three, four, five]


def _actor_at(point, network, name):
    from cases.services import Actor

    key = f"actor-{name}"
    if key not in _made:
        _made[key] = Actor(network.user(name, point, "clerk"), point)
    return _made[key]


# --- an independent recount, from the events through the ORM --------------------------

def recount(network) -> dict:
    """{(point_id, grain, period): {counter: n}} for the network's points, from the events and ratings."""
    from cases import workdays
    from cases.models import Case, CaseEvent, Rating

    points = network.points()
    above = {p.pk: [p.pk, *p.ancestors().values_list("pk", flat=True)] for p in points}
    out: dict = {}

    def add(point_id, moment, **counts):
        day = timezone.localdate(moment)
        for grain, period in (("d", day), ("m", day.replace(day=1)), ("y", day.replace(month=1, day=1))):
            for scope in above[point_id]:
                row = out.setdefault((scope, grain, period), {})
                for name, value in counts.items():
                    row[name] = row.get(name, 0) + value

    cases = Case.objects.filter(origin_point__in=points).select_related("version")
    for case in cases:
        events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
        accept_point = next((e.point_id for e in events if e.action.startswith("accept")), None)
        for e in events:
            if e.action in ("receive_window", "receive_online"):
                add(case.origin_point_id, e.at, received=1, online=int(case.channel == "online"))
            elif e.action.startswith("accept"):
                add(e.point_id, e.at, accepted=1)
            elif e.action in ("refuse", "withdraw", "hand_up", "return_down"):
                name = {"refuse": "refused", "withdraw": "withdrawn", "hand_up": "handed_up",
                        "return_down": "returned"}[e.action]
                add(e.point_id, e.at, **{name: 1})
            elif e.action == "close":
                accepted, decided = timezone.localdate(case.accepted_at), timezone.localdate(case.decided_at)
                promised = case.version.promised_days
                stopped = workdays.working_days_between(workdays.add_working_days(accepted, promised), case.due_date)
                add(accept_point, e.at, completed=1, on_time=int(decided <= case.due_date),
                    days_used=workdays.working_days_between(accepted, decided) - stopped,
                    days_promised=promised, immediate=int(promised == 0),
                    one_visit=int(case.channel == "online" or case.delivery != "window"
                                  or timezone.localdate(case.delivered_at) == timezone.localdate(case.received_at)))
    for rating in Rating.objects.filter(point__in=points):
        add(rating.point_id, rating.rated_at, ratings=1, satisfied=int(rating.grade >= 4))
    return {key: {k: v for k, v in row.items() if v} for key, row in out.items()}


def rolled(network) -> dict:
    from stats.figures import SUMS
    from stats.models import Rollup

    out = {}
    for row in Rollup.objects.filter(point__in=network.points()).values("point_id", "grain", "period").annotate(**SUMS):
        counts = {name: row[name] for name in SUMS if row[name]}
        if counts:
            out[(row["point_id"], row["grain"], row["period"])] = counts
    return out


@pytest.fixture(scope="module")
def played(network, django_db_blocker):
    from stats import rollup

    with django_db_blocker.unblock():
        rollup.update(wait=True)  # what other modules left: not this network's
        cases = play(network)
        rollup.update(wait=True)
    return cases


def test_rollups_agree_with_a_recount_and_a_rebuild_at_every_level(network, played):
    from stats import rollup

    expected = recount(network)
    levels = {network.county.pk, network.township.pk, network.village.pk}
    assert levels <= {point for point, _grain, _period in expected}
    assert rolled(network) == expected
    month = timezone.localdate().replace(day=1)
    county = expected[(network.county.pk, "m", month)]
    # Five received; handed up 2 + 1 + 2 (after the return) + 2; three completed, three rated.
    assert county["received"] == 5 and county["handed_up"] == 7 and county["returned"] == 1
    assert county["refused"] == 1 and county["withdrawn"] == 1 and county["ratings"] == 3
    assert county["satisfied"] == 2
    village = expected[(network.village.pk, "m", month)]
    assert village["received"] == 3 and "completed" not in village  # completions belong to the county (受理)

    rollup.rebuild()
    assert rolled(network) == expected


def test_running_the_rollup_again_adds_nothing(network, played):
    from stats import rollup

    before = rolled(network)
    assert rollup.update(wait=True) == 0
    assert rolled(network) == before


def test_an_event_that_commits_after_a_higher_one_was_read_is_counted_once(network, played):
    """A step's event gets its id before its transaction commits: another step may commit a
    higher id and the rollup run past it; the late one is read on a later run, once."""
    from django.db import connection, transaction

    from cases import services
    from stats import rollup
    from stats.figures import Period, total

    s = _staff(network)
    slow, quick = _open(s.county), _open(s.county)
    rollup.update(wait=True)
    month = Period.month(timezone.localdate().year, timezone.localdate().month)
    accepted = total(network.county, month).accepted
    inserted, release = threading.Event(), threading.Event()

    def slow_step():
        try:
            with transaction.atomic():
                services.accept(slow.pk, s.county)  # its event is written, not committed
                inserted.set()
                release.wait(20)
        finally:
            connection.close()

    worker = threading.Thread(target=slow_step)
    worker.start()
    assert inserted.wait(20)
    services.accept(quick.pk, s.county)  # a higher id, committed first
    rollup.update(wait=True)
    assert total(network.county, month).accepted == accepted + 1
    release.set()
    worker.join(20)
    rollup.update(wait=True)
    assert total(network.county, month).accepted == accepted + 2
    rollup.update(wait=True)
    assert total(network.county, month).accepted == accepted + 2
    assert rolled(network) == recount(network)


# --- the pages ------------------------------------------------------------------------

def _month_query():
    today = timezone.localdate()
    return f"?year={today.year}&month={today.month}"


def test_a_township_supervisor_sees_its_villages_and_never_a_sibling(network, played, client_at):
    s = _staff(network)
    client = client_at(network.township)
    client.force_login(s.town_supervisor)
    page = client.get("/admin/stats/" + _month_query())
    assert page.status_code == 200
    html = page.content.decode()
    assert "统计分析" in html and network.township.name in html
    assert f'/admin/stats/{network.village.pk}/' in html  # drill down to its village
    assert network.other_township.name not in html and network.other_village.name not in html
    charts = re.findall(r"<svg\b[^>]*pygal-chart[^>]*>.*?</svg>", html, re.S)
    assert charts and not any("<script" in svg for svg in charts)  # drawn on the server, no script
    assert all('role="img" aria-label=' in svg for svg in charts)
    assert client.get(f"/admin/stats/{network.village.pk}/").status_code == 200
    for outside in (network.other_township, network.other_village, network.county, network.park):
        refused = client.get(f"/admin/stats/{outside.pk}/")
        assert refused.status_code == 404 and "只能查看本服务点及其下级服务点的统计" in refused.content.decode()
        assert client.get(f"/admin/stats/{outside.pk}/export/").status_code == 404
    clerk = client_at(network.village)
    clerk.force_login(s.village.user)
    assert clerk.get("/admin/stats/").status_code == 403


def test_the_public_page_shows_the_months_rates(network, played, client_at):
    from stats.figures import Period, total

    today = timezone.localdate()
    county = total(network.county, Period.month(today.year, today.month))
    assert county.ratings == 3 and county.satisfied == 2 and county.completed == 3 and county.on_time == 2
    page = client_at(network.county).get("/figures/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{today.year}年{today.month}月" in html and "含下辖服务点" in html
    assert "满意率" in html and "66.7%" in html  # 2 of 3 ratings 4 or 5; 2 of 3 completed on time
    assert f"{county.completion_rate:.1f}%" in html and f"受理 {county.accepted} 件" in html
    village = client_at(network.village).get("/figures/?month=1999-01").content.decode()
    assert f"{today.year}年{today.month}月" in village and "暂无数据" in village  # its completions are the county's


def test_the_excel_export_opens_and_holds_the_numbers_of_the_page(network, played, client_at):
    import openpyxl

    s = _staff(network)
    client = client_at(network.county)
    client.force_login(s.county_supervisor)
    page = client.get("/admin/stats/" + _month_query()).content.decode()
    export = client.get("/admin/stats/export/" + _month_query())
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert {"按服务点", "按日", "按事项", "按部门", "按主题", "按年"} <= set(book.sheetnames)
    sheet = book["按服务点"]
    headers = [c.value for c in sheet[2]]
    rows = {row[0]: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=3, values_only=True)}
    whole, town = rows["合计"], rows[network.township.name]
    month = timezone.localdate().replace(day=1)
    counted = recount(network)[(network.county.pk, "m", month)]
    assert whole["收件"] == counted["received"] and whole["受理"] == counted["accepted"]
    assert whole["评价"] == 3 and whole["满意率"] == 66.7 and whole["按时办结率"] == 66.7
    assert town["收件"] == 3 and town["转办上报"] == 5  # up: 3 from the village, 2 from the town
    public = client_at(network.county).get("/figures/").content.decode()
    assert f"{whole['办结率']:.1f}%" in public and f"{whole['办结率']:.1f}%" in page
    item = book["按事项"]
    assert any(ITEM in str(row[0]) and row[1] == counted["received"]
               for row in item.iter_rows(min_row=3, values_only=True))
    single = client.get("/admin/stats/export/" + _month_query() + "&table=theme")
    assert openpyxl.load_workbook(io.BytesIO(single.content)).sheetnames == ["按主题"]
