"""Results handed to the applicant (issue 13): a pick-up code sent with the
decision and checked at the window, free post with tracking numbers imported
and the delivered date, and electronic results — a sealed PDF in the deciding
authority's name whose QR opens /verify/<token> on the network's host, where
the original verifies, a changed copy does not, and a revocation shows."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest

ID = "11010519491231002X"
ROOT = "http://localhost"


@pytest.fixture(scope="module")
def network(shared_network):
    return shared_network


_made: dict = {}


@pytest.fixture
def setup(network, make_item):
    """An item the county accepts and decides, deliverable every way, and its staff (made once per module)."""
    from cases.services import Actor

    if "setup" not in _made:
        version = make_item(adopt_at=[network.county], accept_tiers=["county"],
                            delivery=["窗口领取", "免费邮寄", "电子送达"])

        class Setup:
            item = version
            clerk = Actor(network.user("r-clerk", network.county, "clerk"), network.county, "10.1.0.1")
            village = Actor(network.user("r-vclerk", network.village, "clerk"), network.village, "10.1.0.2")

        _made["setup"] = Setup
    return _made["setup"]


def decided(setup, granted=True, phone="13812345678"):
    from cases import services

    materials = [services.MaterialCheck(m["name"], present=True, original=True, copies=1)
                 for m in setup.item.content.get("materials", [])]
    case = services.open_case(setup.clerk, services.Intake(
        item_code=setup.item.item.code, materials=materials,
        applicant=services.Applicant(kind="person", name="王秀英", id_number=ID, phone=phone)))
    services.accept(case.pk, setup.clerk)
    return services.decide(case.pk, setup.clerk, granted=granted, text="准予办理。有效期五年。")


def test_the_decision_sends_a_pickup_code_that_the_window_checks(setup):
    from cases import services
    from cases.errors import CaseError
    from cases.models import Notice

    case = decided(setup)
    assert len(case.pickup_code) == 6 and case.pickup_code.isdigit()
    sms = Notice.objects.get(case=case, kind="sms", key__endswith=f":{case.events.count()}:sms")
    assert f"取件码 {case.pickup_code}" in sms.text
    wrong = "000000" if case.pickup_code != "000000" else "111111"
    with pytest.raises(CaseError, match="取件码不正确"):
        services.deliver(case.pk, setup.clerk, method="window", pickup_code=wrong)
    case.refresh_from_db()
    assert case.status == "decided"
    case = services.deliver(case.pk, setup.clerk, method="window", pickup_code=case.pickup_code)
    assert case.status == "delivered"


def test_free_post_takes_an_address_then_tracking_by_import_then_the_delivered_date(setup):
    from cases import results, services
    from cases.errors import CaseError

    case = decided(setup)
    with pytest.raises(CaseError, match="收件地址"):
        services.deliver(case.pk, setup.clerk, method="post", post=services.Post(address=" "))
    case = services.deliver(case.pk, setup.clerk, method="post",
                            post=services.Post(address="测试县人民路 1 号 王秀英 13812345678"))
    assert case.status == "delivered" and case.post_address.startswith("测试县人民路")
    other = decided(setup)
    report = results.import_tracking(setup.clerk, f"办件编号,快递公司,运单号\n{case.number},中国邮政,1180000000001\n"
                                                  f"{other.number},中国邮政,1180000000002\nbad line\n")
    assert report.updated == [case.number]
    assert len(report.errors) == 2 and "不是本服务点邮寄" not in report.errors[1]
    case.refresh_from_db()
    assert (case.post_carrier, case.post_tracking) == ("中国邮政", "1180000000001")
    # Another point cannot touch it.
    with pytest.raises(CaseError):
        results.record_posted(case.pk, setup.village, delivered_on=services.today())
    with pytest.raises(CaseError, match="妥投日期"):
        results.record_posted(case.pk, setup.clerk, delivered_on=services.today() + dt.timedelta(days=3))
    case = results.record_posted(case.pk, setup.clerk, delivered_on=services.today())
    assert case.post_delivered_on == services.today()
    assert list(case.events.values_list("action", flat=True))[-2:] == ["post_tracking", "post_delivered"]


def test_an_electronic_result_verifies_as_the_original_and_a_changed_copy_does_not(setup, client_at):
    from cases import results
    from cases.history import verify
    from cases.models import ElectronicResult

    case = decided(setup)
    result = results.deliver_electronic(case.pk, setup.clerk, verify_root=ROOT)
    case.refresh_from_db()
    assert case.status == "delivered" and case.delivery == "electronic"
    data = result.pdf.open("rb").read()
    result.pdf.close()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == result.sha256
    assert result.issuer == f"{setup.clerk.point.name}{case.department}" and result.recipient_masked != "王秀英"
    last = case.events.order_by("-seq").first()
    assert last.action == "issue_result" and result.sha256 in last.note
    assert verify(case) is None  # the chain still holds

    web = client_at(None)  # the network's host
    page = web.get(f"/verify/{result.token}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "有效" in text and result.issuer in text and result.sha256 in text and "王秀英" not in text
    from django.core.files.uploadedfile import SimpleUploadedFile

    same = web.post(f"/verify/{result.token}", {"file": SimpleUploadedFile("r.pdf", data, "application/pdf")})
    assert "一致" in same.content.decode() and "不一致" not in same.content.decode()
    forged = data.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in data else data + b"\n"
    changed = web.post(f"/verify/{result.token}", {"file": SimpleUploadedFile("r.pdf", forged, "application/pdf")})
    assert "不一致" in changed.content.decode()

    api = web.get(f"/api/results/{result.token}").json()
    assert api["valid"] is True and api["sha256"] == result.sha256 and api["revoked_at"] is None
    assert web.get("/verify/not-a-token").status_code == 404
    assert web.get("/api/results/not-a-token").status_code == 404
    assert ElectronicResult.objects.filter(case=case).count() == 1


def test_the_deciding_authority_revokes_with_a_reason_and_the_page_says_so(setup, network, client_at):
    from cases import results
    from cases.errors import CaseError

    case = decided(setup)
    result = results.deliver_electronic(case.pk, setup.clerk, verify_root=ROOT)
    with pytest.raises(CaseError, match="决定机关"):
        results.revoke(result.pk, setup.village, "越权撤销")
    with pytest.raises(CaseError, match="撤销理由"):
        results.revoke(result.pk, setup.clerk, " ")
    result = results.revoke(result.pk, setup.clerk, "申请人以欺骗手段取得许可")
    with pytest.raises(CaseError, match="不能重复撤销"):
        results.revoke(result.pk, setup.clerk, "再次撤销")
    last = case.events.order_by("-seq").first()
    assert last.action == "revoke_result" and "欺骗" in last.note
    web = client_at(None)
    text = web.get(f"/verify/{result.token}").content.decode()
    assert "已撤销" in text and "申请人以欺骗手段取得许可" in text
    api = web.get(f"/api/results/{result.token}").json()
    assert api["valid"] is False and api["revoke_reason"] == "申请人以欺骗手段取得许可"


def test_the_lookup_api_answers_alike_for_no_case_and_wrong_digits(setup, client_at, settings):
    settings.CASES_PROGRESS_RATES = {"address": "off", "number": "off"}
    case = decided(setup, phone="13900001234")
    web = client_at(None)

    def ask(number, tail):
        return web.post("/api/cases/lookup", {"number": number, "phone_tail": tail}, content_type="application/json")

    found = ask(case.number, "1234")
    assert found.status_code == 200
    body = found.json()
    assert body["status"] == "decided" and body["applicant"] != "王秀英"
    assert [step["step"] for step in body["timeline"]][:2] == ["窗口收件", "受理"]
    wrong, missing = ask(case.number, "9999"), ask(case.number + "9", "1234")
    assert wrong.status_code == missing.status_code == 404 and wrong.content == missing.content
    assert ask(case.number, "12a4").status_code == 400


def test_the_lookup_api_spends_the_progress_budgets(setup, client_at, settings):
    settings.CASES_PROGRESS_RATES = {"address": "3/m", "number": "100/h"}
    web = client_at(None)
    answers = [web.post("/api/cases/lookup", {"number": "330000-20260101-0001", "phone_tail": "0000"},
                        content_type="application/json", REMOTE_ADDR="10.9.8.7") for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert int(answers[-1]["Retry-After"]) >= 1


def test_the_workbench_delivers_electronically_and_the_decider_revokes_there(setup, network, client_at):
    from cases.models import ElectronicResult

    case = decided(setup)
    clerk = client_at(network.county)
    clerk.force_login(setup.clerk.user)
    page = clerk.get(f"/admin/cases/{case.pk}/").content.decode()
    assert f"/admin/cases/{case.pk}/results/" in page and "deliver-pickup" in page
    receipt = clerk.get(f"/admin/cases/{case.pk}/receipt/").content.decode()
    assert "服务评价二维码" in receipt and case.pickup_code in receipt
    refused = clerk.post(f"/admin/cases/{case.pk}/results/", {"action": "deliver", "method": "post", "address": ""})
    assert refused.status_code == 400 and "收件地址" in refused.content.decode()
    done = clerk.post(f"/admin/cases/{case.pk}/results/", {"action": "deliver", "method": "electronic"})
    assert done.status_code == 302
    result = ElectronicResult.objects.get(case=case)
    shown = clerk.get(f"/admin/cases/{case.pk}/results/").content.decode()
    assert f"http://localhost/verify/{result.token}" in shown and result.sha256 in shown
    pdf = clerk.get(f"/admin/cases/{case.pk}/results/{result.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    outsider = client_at(network.village)
    outsider.force_login(setup.village.user)
    assert outsider.get(f"/admin/cases/{case.pk}/results/{result.pk}.pdf").status_code == 404
    revoked = clerk.post(f"/admin/cases/{case.pk}/results/", {"action": "revoke", "result": result.pk,
                                                               "reason": "决定书内容有误，重新出具"})
    assert revoked.status_code == 302
    result.refresh_from_db()
    assert not result.valid and result.revoke_reason == "决定书内容有误，重新出具"
