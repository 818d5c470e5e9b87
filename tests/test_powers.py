"""Powers delegated to parks (issue 15): a grant's life and what routing does
with it — before a grant, while active, suspended, revoked (cases in flight
finish at the park or return to the county) and expired; an enterprise out of
scope; another park; four eyes; overlap; items the standard does not mark as
delegable; what a park user sees."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from stdnum.cn import uscc

ITEM = "YM-RSJ-XK-001"  # 劳务派遣经营许可: 人社局, accepted at the county and parks, delegable to parks
OTHER_ITEM = "YM-RSJ-XK-002"  # 人力资源服务许可, same department
DEPT = "人力资源和社会保障局"
NOT_DELEGABLE = "YM-MZJ-GG-002"  # 老年人优待证办理 (民政局)
_serial = itertools.count(10_000_000)


def credit_code(region: str = "430100") -> str:
    """A fresh, valid unified social credit code (an enterprise of its own for each test)."""
    body = f"91{region}{next(_serial):08d}X"
    return body + uscc.calc_check_digit(body)


def today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    from tests.conftest import Network

    with django_db_blocker.unblock():
        made = Network()
        code = made.county.region_code[:6]
        made.park2 = made.make("park2", "park", code + "500000", "county")
        return made


@pytest.fixture(scope="module")
def people(network, django_db_blocker):
    from cases.services import Actor

    with django_db_blocker.unblock():
        class People:
            drafter = network.user("p-admin-a", network.county, "central_admin")
            approver = network.user("p-admin-b", network.county, "central_admin")
            county_clerk = Actor(network.user("p-c-clerk", network.county, "clerk"), network.county)
            park_clerk = Actor(network.user("p-park-clerk", network.park, "clerk"), network.park)
            park_admin = network.user("p-park-admin", network.park, "admin")
            park2_clerk = Actor(network.user("p-park2-clerk", network.park2, "clerk"), network.park2)
        return People


def spec(network, **over):
    from powers.services import GrantSpec

    values = {
        "department": DEPT, "grantee": network.park, "item_codes": [ITEM], "stages": ["all"],
        "credit_codes": [credit_code()], "instrument_number": "县政发〔2026〕15号",
        "instrument_date": today() - dt.timedelta(days=3), "valid_from": today(),
        "valid_to": today() + dt.timedelta(days=365), "seal_name": "测试园区管委会行政审批专用章",
        "notice_url": "https://gov.example/notice/15", **over}
    return GrantSpec(**values)


def active(network, people, **over):
    from powers import services

    grant = services.draft(people.drafter, network.county, spec(network, **over))
    return services.activate(grant.pk, people.approver, network.county)


def enterprise(code, name="湘江智造有限公司"):
    from cases.services import Applicant

    return Applicant(kind="enterprise", name=name, id_number=code, phone="13812345678",
                     legal_representative="李明")


def open_at(actor, code, item=ITEM):
    from cases.services import Intake, MaterialCheck, open_case
    from standards.models import StandardItem

    content = StandardItem.objects.get(code=item).current.content
    checks = [MaterialCheck(m["name"], present=True, original=True, copies=1) for m in content["materials"]]
    return open_case(actor, Intake(item_code=item, applicant=enterprise(code), materials=checks))


def route_for(network, point, code, item=ITEM):
    from cases.routing import route
    from standards.models import StandardItem

    return route(StandardItem.objects.get(code=item).current, point, code)


def test_routing_before_while_active_and_after_suspension(network, people):
    from cases import services as cases
    from cases.errors import CaseError
    from powers import services
    from powers.errors import GrantError

    code = credit_code()
    assert route_for(network, network.county, code).deciding_point == network.county  # no grant yet

    grant = services.draft(people.drafter, network.county, spec(network, credit_codes=[code]))
    assert route_for(network, network.county, code).deciding_point == network.county  # a draft routes nothing
    with pytest.raises(GrantError, match="四眼原则"):
        services.activate(grant.pk, people.drafter, network.county)
    grant = services.activate(grant.pk, people.approver, network.county)
    assert grant.status == "active" and grant.activated_by == people.approver

    found = route_for(network, network.county, code)
    assert found.deciding_point == network.park and found.grant == grant
    assert [p.pk for p in found.path] == [network.county.pk, network.park.pk]
    assert found.department == DEPT  # decided in the county department's name
    # Out of scope, or a person: the county.
    assert route_for(network, network.county, credit_code()).deciding_point == network.county
    assert route_for(network, network.county, "11010519491231002X").deciding_point == network.county

    # Received at the county: handed down to the park, which accepts it.
    at_county = open_at(people.county_clerk, code)
    assert at_county.deciding_point == network.park
    at_county = cases.hand_up(at_county.pk, people.county_clerk)
    assert at_county.holder == network.park
    with pytest.raises(CaseError, match="测试county不能操作"):
        cases.accept(at_county.pk, people.county_clerk)
    assert cases.accept(at_county.pk, people.park_clerk).status == "accepted"
    # Received at the park for an enterprise in scope: it stays there.
    at_park = open_at(people.park_clerk, code)
    assert at_park.holder == network.park and at_park.deciding_point == network.park

    grant = services.suspend(grant.pk, people.approver, network.county, "园区承接能力评估")
    assert route_for(network, network.county, code).deciding_point == network.county
    # on_end "finish": what the park holds stays and finishes there.
    at_county.refresh_from_db()
    assert at_county.deciding_point == network.park and at_county.holder == network.park
    assert cases.decide(at_county.pk, people.park_clerk, granted=True, text="准予许可").status == "decided"

    services.resume(grant.pk, people.drafter, network.county)
    assert route_for(network, network.county, code).deciding_point == network.park
    actions = list(grant.events.values_list("action", flat=True))
    assert actions == ["draft", "activate", "suspend", "resume"]


@pytest.mark.parametrize("on_end", ["return", "finish"])
def test_revocation_with_either_choice_for_cases_in_flight(network, people, on_end):
    from django.db import IntegrityError, transaction

    from cases import services as cases
    from cases.models import Handoff
    from powers import services

    code = credit_code()
    grant = active(network, people, credit_codes=[code], on_end=on_end)
    received = open_at(people.park_clerk, code)
    accepted = cases.accept(open_at(people.park_clerk, code).pk, people.park_clerk)
    cases.start_review(accepted.pk, people.park_clerk)

    services.revoke(grant.pk, people.approver, network.county, "园区机构调整")
    assert route_for(network, network.county, code).deciding_point == network.county
    received.refresh_from_db()
    accepted.refresh_from_db()
    if on_end == "return":
        for case in (received, accepted):
            assert case.deciding_point == network.county and case.holder == network.county
            assert case.events.last().action == "grant_return"
            assert "撤销" in case.events.last().note
        assert Handoff.objects.filter(case=received, to_point=network.county, status="pending").exists()
        assert cases.accept(received.pk, people.county_clerk).status == "accepted"
        assert cases.decide(accepted.pk, people.county_clerk, granted=True, text="准予").status == "decided"
    else:
        for case in (received, accepted):
            assert case.deciding_point == network.park and case.holder == network.park
        assert cases.decide(accepted.pk, people.park_clerk, granted=True, text="准予").status == "decided"

    # Revoking keeps the whole history; the database refuses to change it.
    grant.refresh_from_db()
    assert grant.status == "revoked"
    assert list(grant.events.values_list("action", flat=True)) == ["draft", "activate", "revoke"]
    with pytest.raises(IntegrityError), transaction.atomic():
        grant.events.all().delete()


def test_expiry_stops_a_grant_by_itself_and_a_later_start_begins_by_itself(network, people):
    from powers import lookup, services
    from powers.models import PowerGrant
    from standards.models import StandardItem

    code = credit_code()
    grant = active(network, people, credit_codes=[code], valid_from=today() - dt.timedelta(days=30),
                   valid_to=today())
    assert route_for(network, network.county, code).deciding_point == network.park
    services.expire_due(on=today())  # its last day: still in force
    assert route_for(network, network.county, code).deciding_point == network.park
    done = services.expire_due(on=today() + dt.timedelta(days=1))
    assert done["expired"] >= 1
    grant.refresh_from_db()
    assert grant.status == "expired" and grant.events.last().action == "expire"
    assert route_for(network, network.county, code).deciding_point == network.county

    later = credit_code()
    starts = today() + dt.timedelta(days=10)
    future = active(network, people, credit_codes=[later], valid_from=starts, valid_to=starts + dt.timedelta(days=90))
    item = StandardItem.objects.get(code=ITEM)
    assert route_for(network, network.county, later).deciding_point == network.county
    assert future.started_at is None
    services.expire_due(on=starts)
    assert PowerGrant.objects.get(pk=future.pk).started_at is not None
    assert list(future.events.values_list("action", flat=True)) == ["draft", "activate", "start"]
    assert lookup.active_grant(item.pk, later, network.county.region_code, on=starts) == future


def test_another_park_cannot_act_on_the_grant(network, people):
    from cases import services as cases
    from cases.errors import CaseError
    from powers import services
    from powers.errors import GrantError

    code = credit_code()
    grant = active(network, people, credit_codes=[code])
    # Received at the other park: it goes up to the county and down to the grant's park.
    found = route_for(network, network.park2, code)
    assert [p.pk for p in found.path] == [network.park2.pk, network.county.pk, network.park.pk]
    case = open_at(people.park2_clerk, code)
    with pytest.raises(CaseError, match="不是"):
        cases.accept(case.pk, people.park2_clerk)
    case = cases.hand_up(case.pk, people.park2_clerk)
    case = cases.hand_up(case.pk, people.county_clerk)
    assert case.holder == network.park
    # Nor may a park's admin change the grant, or pass it on.
    with pytest.raises(GrantError, match="中心管理员"):
        services.suspend(grant.pk, people.park_admin, network.county, "越权")
    with pytest.raises(GrantError, match="园区不能把承接的权力再转授"):
        services.draft(people.park_admin, network.park, spec(network, grantee=network.park2))


def test_a_park_user_sees_its_cases_not_the_county_departments_others(network, people):
    from cases.models import Case

    code = credit_code()
    active(network, people, credit_codes=[code])
    park_case = open_at(people.county_clerk, code)
    county_case = open_at(people.county_clerk, credit_code())  # same department, not in scope
    from cases import services as cases

    cases.hand_up(park_case.pk, people.county_clerk)
    visible = Case.objects.visible_to(people.park_admin, network.park)
    assert visible.filter(pk=park_case.pk).exists()
    assert not visible.filter(pk=county_case.pk).exists()
    assert not Case.objects.visible_to(people.park2_clerk.user, network.park2).filter(pk=park_case.pk).exists()


def test_refusals_are_in_chinese_and_change_nothing(network, people):
    from powers import services
    from powers.errors import GrantError
    from powers.models import GrantEvent, PowerGrant

    before = (PowerGrant.objects.count(), GrantEvent.objects.count())
    code = credit_code()
    refusals = [
        (spec(network, item_codes=[NOT_DELEGABLE], department="民政局"), "可赋权园区"),
        (spec(network, item_codes=[ITEM], department="民政局"), "不属于民政局"),
        (spec(network, grantee=network.township), "不是园区服务点"),
        (spec(network, credit_codes=[code[:-1] + ("0" if code[-1] != "0" else "1")]), "统一社会信用代码不正确"),
        (spec(network, stages=["受理"]), "见章盖章"),
        (spec(network, valid_to=today() - dt.timedelta(days=1)), "截止日期不能早于生效日期"),
    ]
    for wrong, message in refusals:
        with pytest.raises(GrantError, match=message):
            services.draft(people.drafter, network.county, wrong)
    with pytest.raises(GrantError, match="中心管理员"):
        services.draft(people.county_clerk.user, network.county, spec(network))
    assert (PowerGrant.objects.count(), GrantEvent.objects.count()) == before


def test_a_park_of_another_county_cannot_receive_a_grant(network, people):
    from powers import services
    from powers.errors import GrantError
    from tenants.models import ServicePoint

    other = f"{int(network.county.region_code[:6]) + 1:06d}"
    while ServicePoint.objects.filter(region_code__startswith=other).exists():
        other = f"{int(other) + 7:06d}"
    # Rows only (no schemas, deleted again): the check reads nothing else, and onboarding costs seconds.
    far_county = ServicePoint.objects.create(name="外县", slug=f"{network.tag}-xc", tier="county",
                                             region_code=other + "000000", schema_name=f"{network.tag}_xc")
    far_park = ServicePoint.objects.create(name="外县园区", slug=f"{network.tag}-xp", tier="park", parent=far_county,
                                           region_code=other + "400000", schema_name=f"{network.tag}_xp")
    try:
        with pytest.raises(GrantError, match="“外县园区”不是测试county下的园区"):
            services.draft(people.drafter, network.county, spec(network, grantee=far_park))
    finally:
        far_park.delete()
        far_county.delete()


def test_overlapping_grants_are_refused_with_what_they_share(network, people):
    from powers import services
    from powers.errors import GrantError
    from powers.models import PowerGrant

    shared, own = credit_code(), credit_code()
    active(network, people, credit_codes=[shared], valid_to=today() + dt.timedelta(days=100))
    count = PowerGrant.objects.count()
    with pytest.raises(GrantError, match=f"重叠.*企业 {shared}"):
        services.draft(people.drafter, network.county, spec(network, credit_codes=[own, shared]))
    # The same enterprise through another park is as much an overlap.
    with pytest.raises(GrantError, match="重叠"):
        services.draft(people.drafter, network.county, spec(network, grantee=network.park2, credit_codes=[shared]))
    # A region scope covering the enterprise's registration region overlaps too.
    with pytest.raises(GrantError, match="登记区划"):
        services.draft(people.drafter, network.county, spec(network, scope_kind="regions", credit_codes=[],
                                                            region_codes=[shared[2:8]]))
    assert PowerGrant.objects.count() == count
    # Another item, or a period after the first: no overlap.
    services.draft(people.drafter, network.county, spec(network, item_codes=[OTHER_ITEM], credit_codes=[shared]))
    later = today() + dt.timedelta(days=101)
    services.draft(people.drafter, network.county, spec(network, credit_codes=[shared], valid_from=later,
                                                        valid_to=later + dt.timedelta(days=30)))
    assert PowerGrant.objects.count() == count + 2


def test_renewal_moves_the_end_and_is_checked(network, people):
    from powers import services
    from powers.errors import GrantError

    grant = active(network, people, credit_codes=[credit_code()], valid_to=today() + dt.timedelta(days=20))
    with pytest.raises(GrantError, match="应晚于"):
        services.renew(grant.pk, people.approver, network.county, today() + dt.timedelta(days=5))
    grant = services.renew(grant.pk, people.approver, network.county, today() + dt.timedelta(days=400))
    assert grant.valid_to == today() + dt.timedelta(days=400)
    event = grant.events.last()
    assert event.action == "renew" and event.changes["valid_to"][1] == grant.valid_to.isoformat()


# --- Excel, reminders, the admin ---------------------------------------------------

def _workbook(rows: list[dict]) -> bytes:
    import io

    from openpyxl import Workbook

    from powers.excel import COLUMNS

    book = Workbook()
    sheet = book.active
    sheet.title = "赋权"
    sheet.append([label for _, label in COLUMNS])
    for row in rows:
        sheet.append([row.get(key, "") for key, _ in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(network, code, **over):
    return {"title": f"批量赋权 {code[-6:]}", "department": DEPT, "grantee": network.park.name,
            "items": f"{ITEM}\n{OTHER_ITEM}", "stages": "全部", "scope_kind": "园区企业名单", "credit_codes": code,
            "instrument_number": "县政发〔2026〕20号", "instrument_date": "2026-11-20", "seal_name": "园区审批专用章",
            "valid_from": today().isoformat(), "valid_to": (today() + dt.timedelta(days=200)).isoformat(),
            "on_end": "退回县级部门办理", "confirm_by_county": "否", **over}


def test_a_hundred_and_twenty_grants_round_trip_through_excel_and_activate_in_one_act(network, people):
    import io

    from openpyxl import load_workbook

    from powers import excel, services
    from powers.models import PowerGrant

    codes = [credit_code() for _ in range(120)]
    result = excel.import_grants(people.drafter, network.county, _workbook([_row(network, c) for c in codes]))
    assert result.errors == [] and len(result.grants) == 120
    grants = PowerGrant.objects.filter(pk__in=[g.pk for g in result.grants]).order_by("pk")
    assert {g.status for g in grants} == {"draft"} and {g.on_end for g in grants} == {"return"}

    exported = excel.export_grants(grants)
    assert load_workbook(io.BytesIO(exported))["赋权"].max_row == 121
    # What an export says imports as the same grants (ten of them: the rules are the same for each row).
    some = PowerGrant.objects.filter(pk__in=[g.pk for g in result.grants[:10]])
    again = excel.import_grants(people.approver, network.county, excel.export_grants(some))
    assert again.errors == [] and len(again.grants) == 10
    fields = ("title", "department", "grantee_id", "stages", "scope_kind", "credit_codes", "instrument_number",
              "instrument_date", "seal_name", "valid_from", "valid_to", "on_end", "confirm_by_county")

    def shape(rows):
        return sorted((tuple(getattr(g, f) for f in fields), tuple(sorted(g.items.values_list("code", flat=True))))
                      for g in rows)

    assert shape(PowerGrant.objects.filter(pk__in=[g.pk for g in again.grants])) == shape(some)

    # The county's act: drafts activated at once by the other admin (all, or none with every reason).
    act = [g.pk for g in grants[:30]]
    with pytest.raises(services.GrantError, match="四眼原则"):
        services.activate_many(act, people.drafter, network.county)
    assert set(grants.values_list("status", flat=True)) == {"draft"}
    services.activate_many(act, people.approver, network.county)
    assert set(PowerGrant.objects.filter(pk__in=act).values_list("status", flat=True)) == {"active"}
    assert route_for(network, network.county, codes[17], item=OTHER_ITEM).deciding_point == network.park
    assert route_for(network, network.county, codes[57], item=OTHER_ITEM).deciding_point == network.county


def test_an_import_with_errors_changes_nothing_and_lists_each_in_chinese(network, people):
    from powers import excel
    from powers.models import PowerGrant

    shared = credit_code()
    bad = credit_code()
    rows = [
        _row(network, credit_code()),
        _row(network, bad[:-1] + ("0" if bad[-1] != "0" else "1")),
        _row(network, credit_code(), items=NOT_DELEGABLE, department="民政局"),
        _row(network, credit_code(), grantee="不存在的园区"),
        _row(network, shared),
        _row(network, shared, items=ITEM),
        _row(network, credit_code(), valid_from="明天"),
    ]
    count = PowerGrant.objects.count()
    result = excel.import_grants(people.drafter, network.county, _workbook(rows))
    assert result.grants == [] and PowerGrant.objects.count() == count
    text = "\n".join(result.errors)
    assert "第 3 行：以下统一社会信用代码不正确" in text
    assert "第 4 行：以下事项的标准未标明“可赋权园区”" in text
    assert "第 5 行：承接园区“不存在的园区”不是" in text
    assert "第 7 行：与第 6 行重叠" in text
    assert "第 8 行：“生效日期”应为日期" in text
    assert "第 2 行" not in text  # the good row has no error, and was not written either
    not_excel = excel.import_grants(people.drafter, network.county, b"not a workbook")
    assert not_excel.errors == ["不是有效的 Excel 文件（.xlsx），请用导出的模板填写。"]


def test_expiry_reminders_go_to_both_sides_once(network, people):
    from django.core import mail

    from powers import reminders
    from powers.models import GrantReminder

    people.drafter.email, people.park_admin.email = "zhongxin@county.test", "admin@park.test"
    people.drafter.save(update_fields=["email"])
    people.park_admin.save(update_fields=["email"])
    grant = active(network, people, credit_codes=[credit_code()], valid_to=today() + dt.timedelta(days=25))
    mail.outbox.clear()

    def mine(made):
        return [r for r in made if r.grant_id == grant.pk]

    first = mine(reminders.remind_due(today()))
    assert [r.days_before for r in first] == [30] and "还有 25 天" in first[0].message
    assert mine(reminders.remind_due(today())) == []  # once
    week = mine(reminders.remind_due(today() + dt.timedelta(days=20)))
    assert [r.days_before for r in week] == [7]
    assert mine(reminders.remind_due(today() + dt.timedelta(days=21))) == []
    assert GrantReminder.objects.filter(grant=grant).count() == 2
    ours = [m for m in mail.outbox if grant.instrument_number in m.body and "还有" in m.body]
    assert len(ours) == 2 and set(ours[0].to) >= {"zhongxin@county.test", "admin@park.test"}
    # Both sides see them in their admin.
    assert reminders.reminders_for(network.county).filter(grant=grant).count() == 2
    assert reminders.reminders_for(network.park).filter(grant=grant).count() == 2
    assert reminders.reminders_for(network.park2).filter(grant=grant).count() == 0


def test_the_admin_menu_for_central_admins_and_read_only_for_the_park(network, people, client_at):
    county = client_at(network.county)
    county.force_login(people.drafter)
    page = county.get("/admin/powers/new/")
    assert page.status_code == 200 and "起草赋权" in page.content.decode()
    code = credit_code()
    posted = county.post("/admin/powers/new/", {
        "title": "后台起草的赋权", "department": DEPT, "grantee": network.park.pk, "item_codes": ITEM,
        "stages": ["accept", "review", "decide"], "scope_kind": "enterprises", "credit_codes": code,
        "instrument_number": "县政发〔2026〕30号", "instrument_date": "2026-11-30", "seal_name": "园区审批专用章",
        "valid_from": today().isoformat(), "valid_to": (today() + dt.timedelta(days=90)).isoformat(),
        "on_end": "finish"})
    assert posted.status_code == 302, posted.content.decode()[:2000]
    detail_url = posted["Location"]
    own = county.get(detail_url).content.decode()
    assert "须由另一位中心管理员批准生效" in own and "变更记录" in own
    refused = county.post(detail_url + "step/", {"action": "activate"}, follow=True).content.decode()
    assert "四眼原则" in refused

    other = client_at(network.county)
    other.force_login(people.approver)
    done = other.post(detail_url + "step/", {"action": "activate"}, follow=True).content.decode()
    assert "已批准生效" in done
    assert route_for(network, network.county, code).deciding_point == network.park
    wrong = county.post("/admin/powers/new/", {"department": DEPT, "grantee": network.park.pk,
                                               "item_codes": NOT_DELEGABLE, "stages": ["decide"],
                                               "scope_kind": "enterprises", "credit_codes": credit_code(),
                                               "instrument_number": "x", "instrument_date": "2026-11-30",
                                               "seal_name": "章", "valid_from": today().isoformat(),
                                               "valid_to": today().isoformat(), "on_end": "finish"})
    assert wrong.status_code == 200 and "可赋权园区" in wrong.content.decode()

    park = client_at(network.park)
    park.force_login(people.park_admin)
    listing = park.get("/admin/powers/").content.decode()
    assert "后台起草的赋权" in listing and "起草赋权" not in listing
    assert park.get(detail_url).status_code == 200
    assert park.get("/admin/powers/new/").status_code == 403
    assert park.post(detail_url + "step/", {"action": "revoke", "reason": "x"}).status_code == 403
    clerk = client_at(network.county)
    clerk.force_login(people.county_clerk.user)
    assert clerk.get("/admin/powers/").status_code == 403
    exported = county.get("/admin/powers/export/")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/vnd.openxmlformats")
