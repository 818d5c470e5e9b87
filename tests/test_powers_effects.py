"""What a power grant to a park changes (issue 15, effects): the park's guide
and catalogue and the county's guide, at once and back when it ends; the
search outbox and network search; the result issued in the county
department's name with the park's seal; the county's 见章盖章 before delivery;
the park's workbench with 全程代办 against the county's time standards."""
from __future__ import annotations

import datetime as dt
import itertools
import re
import time

import pytest
from stdnum.cn import uscc

_serial = itertools.count(20_000_000)


def credit_code(region: str = "430100") -> str:
    body = f"91{region}{next(_serial):08d}X"
    return body + uscc.calc_check_digit(body)


def today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def network(shared_network):
    return shared_network


@pytest.fixture(scope="module")
def people(shared_network, django_db_blocker):
    from cases.services import Actor

    network = shared_network
    with django_db_blocker.unblock():
        class People:
            drafter = network.user("e-admin-a", network.county, "central_admin")
            approver = network.user("e-admin-b", network.county, "central_admin")
            county_clerk = Actor(network.user("e-c-clerk", network.county, "clerk"), network.county)
            park_clerk = Actor(network.user("e-park-clerk", network.park, "clerk"), network.park)
        return People


def grant_of(network, people, items, department, **over):
    from powers import services
    from powers.services import GrantSpec

    values = {"department": department, "grantee": network.park, "item_codes": items, "stages": ["all"],
              "credit_codes": [credit_code()], "instrument_number": "云政发〔2026〕131号",
              "instrument_date": dt.date(2026, 3, 1), "valid_from": today(),
              "valid_to": today() + dt.timedelta(days=365), "seal_name": "测试园区管理委员会行政审批专用章",
              "notice_url": "https://gov.example/notices/131", **over}
    grant = services.draft(people.drafter, network.county, GrantSpec(**values))
    return services.activate(grant.pk, people.approver, network.county)


def open_case(actor, item, code):
    from cases.services import Applicant, Intake, MaterialCheck, open_case
    from standards.models import StandardItem

    content = StandardItem.objects.get(code=item).current.content
    checks = [MaterialCheck(m["name"], present=True, original=True, copies=1) for m in content["materials"]]
    return open_case(actor, Intake(item_code=item, materials=checks, applicant=Applicant(
        kind="enterprise", name="湘江智造有限公司", id_number=code, phone="13812345678", legal_representative="李明")))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def pdf_keywords(data: bytes) -> str:
    """The PDF's /Keywords (reportlab writes a UTF-16 string with octal escapes)."""
    raw = re.search(rb"/Keywords \((.*?)(?<!\\)\)", data, re.S).group(1)
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i:i + 1] == b"\\":
            if raw[i + 1:i + 2].isdigit():
                out.append(int(raw[i + 1:i + 4], 8))
                i += 4
            else:
                out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(raw[i + 1:i + 2], raw[i + 1:i + 2])
                i += 2
        else:
            out.append(raw[i])
            i += 1
    return bytes(out).decode("utf-16")


def wait_for(condition, seconds: float = 30) -> bool:
    """True once `condition()` holds, False if it never did within `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def test_guides_catalogue_and_search_follow_a_grant_from_start_to_end(network, people, client_at):
    from powers import services
    from search.models import SearchDocument
    from search.query import parse
    from search.service import search

    item, department = "YM-STJ-XK-001", "生态环境局"
    county, park = client_at(network.county), client_at(network.park)
    path = f"/items/{item}/"
    assert "园区企业请到园区办理" not in text(county.get(path))
    assert "赋权园区办理" not in text(park.get(path))

    grant = grant_of(network, people, [item], department)
    # The pages read the grant now: no cache, nothing to wait for.
    page = text(park.get(path))
    assert "赋权园区办理" in page and "云政发〔2026〕131号" in page and "2026年3月1日" in page
    assert "https://gov.example/notices/131" in page and grant.seal_name in page
    assert f"请到<strong>{network.park.name}</strong>办理" in page
    catalogue = text(park.get("/items/"))
    assert "赋权事项" in catalogue and f'href="/items/{item}/"' in catalogue.split("赋权事项")[1][:600]
    page = text(county.get(path))
    assert "园区企业请到园区办理" in page and f"http://{network.park.primary_host}{path}" in page
    # The search documents follow through the outbox: applied here, or already by the
    # session's Celery worker, which takes outbox rows as soon as they commit.
    def park_badges(point):
        network.index()
        doc = SearchDocument.objects.get(point=point, code=item)
        return [b["slug"] for b in doc.badges if b["key"] == "park"]

    assert wait_for(lambda: park_badges(network.county) == [network.park.slug])

    def found(point, scope):
        answer = search(point, parse({"q": "环境影响报告表", "scope": scope}), lambda s, p: f"http://{s}{p}", log=False)
        return next(r for r in answer["results"] if r["code"] == item)

    result = found(network.county, "network")
    assert [p["name"] for p in result["parks"]] == [network.park.name]
    assert network.park.name in result["parks"][0]["note"] and "园区办" not in " ".join(result["badges"])

    services.revoke(grant.pk, people.approver, network.county, "园区机构调整")
    assert "园区企业请到园区办理" not in text(county.get(path))
    assert "赋权园区办理" not in text(park.get(path)) and "赋权事项" not in text(park.get("/items/"))
    assert wait_for(lambda: park_badges(network.county) == [])
    assert found(network.county, "network")["parks"] == []


def test_a_park_decision_under_a_grant_is_issued_in_the_county_department_name_with_the_park_seal(
        network, people):
    from cases import results, services

    item, department = "YM-RSJ-XK-001", "人力资源和社会保障局"
    code = credit_code()
    grant = grant_of(network, people, [item], department, credit_codes=[code])
    case = open_case(people.park_clerk, item, code)
    assert case.deciding_point == network.park
    services.accept(case.pk, people.park_clerk)
    services.decide(case.pk, people.park_clerk, granted=True, text="准予劳务派遣经营许可。")
    result = results.deliver_electronic(case.pk, people.park_clerk, verify_root="http://localhost:8000")
    assert result.issuer == f"{network.county.name}{department}"  # not the park's own name
    data = result.pdf.open("rb").read()
    result.pdf.close()
    keywords = pdf_keywords(data)
    assert grant.seal_name in keywords and network.park.name in keywords
    note = case.events.get(action="issue_result").note
    assert grant.seal_name in note and result.sha256 in note


def test_confirmation_by_the_county_department_before_delivery(network, people, client_at):
    from cases import delegated, services
    from cases.errors import CaseError

    item, department = "YM-RSJ-XK-003", "人力资源和社会保障局"
    code = credit_code()
    grant_of(network, people, [item], department, credit_codes=[code], confirm_by_county=True)
    case = open_case(people.park_clerk, item, code)
    services.accept(case.pk, people.park_clerk)
    with pytest.raises(CaseError, match="不是待见章盖章确认"):
        services.confirm_decision(case.pk, people.county_clerk)  # nothing decided yet
    services.decide(case.pk, people.park_clerk, granted=True, text="准予实行综合计算工时工作制。")
    with pytest.raises(CaseError, match="见章盖章确认后才能送达"):
        services.deliver(case.pk, people.park_clerk, method="window")
    with pytest.raises(CaseError, match=f"只有{network.county.name}{department}"):
        services.confirm_decision(case.pk, people.park_clerk)  # the park cannot confirm itself
    case.refresh_from_db()
    assert case.status == "decided" and not delegated.confirmed(case)

    # The county's list shows it; confirming is one event, then delivery goes ahead.
    web = client_at(network.county)
    web.force_login(people.county_clerk.user)
    listing = text(web.get("/admin/cases/confirmations/"))
    assert case.number in listing
    assert web.post("/admin/cases/confirmations/", {"case": case.pk}).status_code == 302
    after = text(web.get("/admin/cases/confirmations/"))
    assert "已见章盖章确认" in after and "没有待确认的园区决定" in after
    event = case.events.get(action="confirm_decision")
    assert event.point == network.county and "未重新审查" in event.note
    with pytest.raises(CaseError, match="已经见章盖章确认"):
        services.confirm_decision(case.pk, people.county_clerk)
    assert services.deliver(case.pk, people.park_clerk, method="window").status == "delivered"


def test_park_workbench_with_granted_items_cases_and_agency_projects(network, people, client_at):
    from cases import agency, workdays
    from powers.agency import Milestone

    item, department = "YM-FGJ-QT-001", "发展和改革局"
    code = credit_code()
    grant_of(network, people, [item], department, credit_codes=[code])
    case = open_case(people.park_clerk, item, code)
    web = client_at(network.park)
    web.force_login(people.park_clerk.user)
    page = text(web.get("/admin/park/"))
    assert "企业投资项目备案" in page and "云政发〔2026〕131号" in page  # a granted item
    assert case.number in page  # a case it holds
    assert 'href="/admin/supervision/"' in page and 'href="/admin/stats/"' in page  # its warnings, its figures

    response = web.post("/admin/park/", {"action": "create", "name": "年产万吨新材料项目",
                                         "enterprise_name": "湘江新材料有限公司",
                                         "kinds": ["business", "property", "construction"]})
    assert response.status_code == 302
    milestones = list(Milestone.objects.filter(project__name="年产万吨新材料项目", project__park=network.park))
    assert [m.standard_days for m in milestones] == [2, 3, 45]
    web.post("/admin/park/", {"action": "start", "milestone": milestones[0].pk})
    milestones[0].refresh_from_db()
    assert milestones[0].due_on == workdays.add_working_days(today(), 2)
    # One started long ago is overdue against its standard, and says so.
    agency.start_milestone(people.park_clerk.user, network.park, milestones[1].pk,
                           on=today() - dt.timedelta(days=30))
    page = text(web.get("/admin/park/"))
    assert "年产万吨新材料项目" in page and "剩余 2 个工作日" in page and "已超时" in page
    bad = web.post("/admin/park/", {"action": "create", "name": "x", "enterprise_name": "y", "kinds": []})
    assert bad.status_code == 400 and "请选择项目需要代办的环节" in text(bad)

    # Not a park: the county's staff get no park workbench; the county clerk cannot carry a park's project.
    county = client_at(network.county)
    county.force_login(people.county_clerk.user)
    assert county.get("/admin/park/").status_code == 404
    with pytest.raises(Exception, match="全程代办只在园区"):
        agency.create_project(people.county_clerk.user, network.county, name="a", enterprise_name="b",
                              kinds=["business"])


def test_demo_agency_projects_show_on_the_park_workbench(network, people):
    from cases import agency
    from cases.agency_demo import PROJECTS, load_demo_agency
    from powers.agency import AgencyProject

    # The loader skips a park that has projects: the workbench test's own project goes first.
    AgencyProject.objects.of_point(network.park).delete()
    assert load_demo_agency(progress=lambda line: None, park_slug=network.park.slug,
                            agent_username=people.park_clerk.user.username) == len(PROJECTS)
    states = {row.project.name: [m.state for m in row.milestones] for row in agency.board(network.park)}
    assert states["年产5万吨锂电池正极材料项目"][:6] == ["done", "done", "done", "done", "done_late", "running"]
    assert states["智能装备产业园二期"][:2] == ["done", "overdue"]
    assert load_demo_agency(progress=lambda line: None, park_slug=network.park.slug,
                            agent_username=people.park_clerk.user.username) == 0  # once
