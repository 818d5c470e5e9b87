"""The clerk's workbench (issue 12, "At the window" and the inbox of "Handoff
across tiers"), through each point's own host: intake by the form, refusals in
Chinese that open nothing, the printables, a case handed up from a village to
the county's desk and its result back down, masked personal data in every
list, and the citizens' progress page."""
from __future__ import annotations

import html
import re

import pytest

ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: villages accept, the county's 民政局 decides, 3 working days
ID = "11010519491231002X"
PHONE = "13812345678"


def body(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    """One network for the module (onboarding six points per test is most of its time)."""
    from tests.conftest import Network

    with django_db_blocker.unblock():
        return Network()


@pytest.fixture(scope="module")
def tiers(network, django_db_blocker):
    """Signed-in clients: a clerk at each tier of one branch, the county's 民政局 desk,
    the sibling village's clerk, a village editor and a county supervisor."""
    from django.test import Client
    from django_tenants.utils import tenant_context

    from cases.models import DeskAssignment

    class Tiers:
        pass

    def signed_in(point, name, role):
        user = network.user(name, point, role)
        client = Client(HTTP_HOST=point.primary_host)
        with tenant_context(point):
            client.force_login(user)
        return client, user

    with django_db_blocker.unblock():
        t = Tiers()
        t.village, t.village_user = signed_in(network.village, "v-clerk", "clerk")
        t.township, _ = signed_in(network.township, "t-clerk", "clerk")
        t.county_window, _ = signed_in(network.county, "c-clerk", "clerk")
        t.desk, desk_user = signed_in(network.county, "c-mzj", "clerk")
        DeskAssignment.objects.create(point=network.county, user=desk_user, department="民政局")
        t.other_village, _ = signed_in(network.other_village, "v2-clerk", "clerk")
        t.editor, _ = signed_in(network.village, "v-editor", "editor")
        t.supervisor, _ = signed_in(network.county, "c-super", "supervisor")
    return t


def form_token(client, item=ITEM) -> str:
    page = client.get("/admin/cases/new/", {"item": item})
    assert page.status_code == 200, body(page)[:500]
    return re.search(r'name="token" value="([^"]+)"', page.content.decode())[1]


def intake(client, token, **fields):
    data = {"item": ITEM, "kind": "person", "name": "王秀英", "id_number": ID, "phone": PHONE, "token": token,
            "m0-present": "1", "m0-original": "1", "m0-copies": "1", "m1-present": "1", "m1-copies": "1"}
    data.update(fields)
    return client.post("/admin/cases/new/", {k: v for k, v in data.items() if v is not None})


def open_case(client, **fields):
    from cases.models import Case

    response = intake(client, form_token(client), **fields)
    assert response.status_code == 302, body(response)[:2000]
    return Case.objects.get(pk=int(re.search(r"/admin/cases/(\d+)/$", response["Location"])[1]))


def step(client, case, action, **data):
    return client.post(f"/admin/cases/{case.pk}/step/", {"action": action, **data})


def test_a_clerk_opens_a_case_by_the_form_and_a_second_submit_opens_none(network, tiers):
    from cases.models import Case

    before = Case.objects.filter(origin_point=network.village).count()
    chooser = body(tiers.village.get("/admin/cases/new/", {"q": "优待"}))
    assert "老年人优待证办理" in chooser and f"?item={ITEM}" in chooser
    checklist = body(tiers.village.get("/admin/cases/new/", {"item": ITEM}))
    assert "居民身份证" in checklist and "数字相片" in checklist and 'for="id_id_number"' in checklist

    token = form_token(tiers.village)
    response = intake(tiers.village, token)
    assert response.status_code == 302
    case = Case.objects.get(intake_token=token)
    assert case.origin_point == network.village and case.status == "received"
    assert case.materials[0]["present"] and case.materials[0]["original"]
    page = body(tiers.village.get(response["Location"]))
    assert case.number in page and ID in page and PHONE in page  # the clerk of the point sees them in full
    assert "窗口收件" in page and "转办上报" in page

    again = intake(tiers.village, token)
    assert again.status_code == 409
    text = body(again)
    assert "已经提交过" in text and case.number in text and 'role="alert"' in text
    assert Case.objects.filter(origin_point=network.village).count() == before + 1


def test_bad_input_is_refused_in_chinese_and_opens_nothing(network, tiers, make_item):
    from cases.models import Case

    before = Case.objects.count()
    wrong = intake(tiers.village, form_token(tiers.village), id_number="110105194912310021")
    assert wrong.status_code == 400 and "校验位不对" in body(wrong)
    assert "110105194912310021" not in body(wrong).replace('value="110105194912310021"', "")  # masked in the message
    agent = intake(tiers.village, form_token(tiers.village), agent_name="李四", agent_id_number=ID)
    assert agent.status_code == 400 and "授权委托书" in body(agent)

    county_only = make_item(adopt_at=[network.county], accept_tiers=["county"])
    refused = intake(tiers.village, "t-" + county_only.code, item=county_only.code)
    assert refused.status_code == 400 and "不受理事项" in body(refused)
    asked = tiers.village.get("/admin/cases/new/", {"item": county_only.code})
    assert asked.status_code == 404 and "不受理事项" in body(asked)
    assert Case.objects.count() == before

    assert tiers.editor.get("/admin/cases/new/").status_code == 403  # an editor works no window
    assert tiers.editor.get("/admin/cases/").status_code == 403
    case = open_case(tiers.village)
    assert tiers.other_village.get(f"/admin/cases/{case.pk}/").status_code == 404
    assert step(tiers.other_village, case, "hand_up").status_code == 404
    assert Case.objects.get(pk=case.pk).holder == network.village


def test_the_receipt_has_the_number_and_a_qr_code_and_the_notice_lists_what_is_missing(network, tiers):
    from cases import qr

    case = open_case(tiers.village, **{"m1-present": None})  # no 数字相片
    receipt = tiers.village.get(f"/admin/cases/{case.pk}/receipt/")
    text = body(receipt)
    assert receipt.status_code == 200 and "收件回执" in text and case.number in text
    url = f"http://{network.village.primary_host}/progress/?number={case.number}"
    assert url in text
    assert str(qr.svg(url, title=f"办件 {case.number} 进度查询二维码")) in receipt.content.decode()
    assert "<svg" in text and "wagtail" not in text.lower()  # no admin chrome

    notice = body(tiers.village.get(f"/admin/cases/{case.pk}/notice/"))
    listed = notice[notice.index("<ol"):notice.index("</ol>")]
    assert "一次性告知书" in notice and "数字相片" in listed and "居民身份证" not in listed
    assert network.village.name in notice and network.village.address in notice and network.village.phone in notice


def test_a_case_goes_up_to_the_county_desk_and_its_result_comes_back_to_the_village(network, tiers):
    from cases.identity import mask_id
    from cases.models import Case, Notice

    case = open_case(tiers.village)
    assert step(tiers.village, case, "hand_up", note="请乡镇转县民政局").status_code == 302

    inbox = body(tiers.township.get("/admin/cases/inbox/"))
    assert case.number in inbox and "新转来（来自测试village）" in inbox and "新</strong>" in inbox
    assert mask_id(ID) in inbox and ID not in inbox and PHONE not in inbox and "王秀英" not in inbox
    page = body(tiers.township.get(f"/admin/cases/{case.pk}/"))
    assert ">转办上报<" in page and ">退回<" in page and ">受理<" not in page
    assert not Notice.objects.filter(case=case, point=network.township, read_at__isnull=True).exists()
    assert "新</strong>" not in body(tiers.township.get("/admin/cases/inbox/"))  # read now
    assert step(tiers.township, case, "hand_up").status_code == 302

    # The comprehensive window of the county does not decide: the desk of 民政局 does.
    assert ">受理<" not in body(tiers.county_window.get(f"/admin/cases/{case.pk}/"))
    refused = step(tiers.county_window, case, "accept")
    assert refused.status_code == 400 and "民政局窗口" in body(refused)
    assert Case.objects.get(pk=case.pk).status == "received"

    queue = body(tiers.desk.get("/admin/cases/queue/"))
    assert case.number in queue and ID not in queue
    assert ">受理<" in body(tiers.desk.get(f"/admin/cases/{case.pk}/"))
    assert step(tiers.desk, case, "accept").status_code == 302
    assert step(tiers.desk, case, "start_review").status_code == 302
    wrong = step(tiers.desk, case, "decide", text="准予")
    assert wrong.status_code == 400 and "请选择决定结果" in body(wrong)
    assert step(tiers.desk, case, "decide", granted="yes", text="准予办理老年人优待证").status_code == 302
    case.refresh_from_db()
    assert case.status == "decided" and case.holder == network.village

    inbox = body(tiers.village.get("/admin/cases/inbox/"))
    assert case.number in inbox and "决定已下达，待送达" in inbox and "已作出决定" in inbox and "新</strong>" in inbox
    assert ID not in inbox
    page = body(tiers.village.get(f"/admin/cases/{case.pk}/"))
    assert ">送达<" in page and "受理通知书" in page
    assert step(tiers.village, case, "deliver", method="window", detail="本人领取").status_code == 302
    assert step(tiers.village, case, "close").status_code == 302
    timeline = body(tiers.village.get(f"/admin/cases/{case.pk}/"))
    for label in ("窗口收件", "转办上报", "受理", "开始审查", "作出决定", "送达", "办结"):
        assert label in timeline
    assert Case.objects.get(pk=case.pk).status == "closed"

    # Every list masks: the county's supervisor sees the case, never the ID in full, not even on its page.
    listing = body(tiers.supervisor.get("/admin/cases/", {"number": case.number}))
    assert case.number in listing and mask_id(ID) in listing and ID not in listing
    assert ID not in body(tiers.supervisor.get(f"/admin/cases/{case.pk}/"))
    assert ID not in body(tiers.village.get("/admin/cases/", {"status": "closed"}))


def test_the_menu_shows_the_workbench_to_window_staff_only(network, tiers):
    clerk = tiers.village.get("/admin/").content.decode()
    assert "/admin/cases/new/" in clerk and "/admin/cases/inbox/" in clerk
    assert "/admin/cases/queue/" not in clerk  # the village has no department desks
    assert "/admin/cases/queue/" in tiers.desk.get("/admin/").content.decode()
    assert "/admin/cases/" not in tiers.editor.get("/admin/").content.decode()


def test_the_progress_page_answers_alike_for_a_wrong_number_and_wrong_digits(network, tiers, client_at):
    case = open_case(tiers.village)
    citizen = client_at(network.village)
    form = body(citizen.get("/progress/", {"number": case.number}))
    assert f'value="{case.number}"' in form and "手机号后四位" in form

    def ask(number, tail, address="198.51.100.7"):
        return citizen.post("/progress/", {"number": number, "phone_tail": tail}, REMOTE_ADDR=address)

    wrong_digits = ask(case.number, "0000")
    no_case = ask(case.number[:-4] + "9999", PHONE[-4:])
    assert wrong_digits.status_code == no_case.status_code == 200
    def answer(response, number):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body(response)).replace(number, "N")

    assert "没有找到" in answer(wrong_digits, case.number)
    assert answer(wrong_digits, case.number) == answer(no_case, case.number[:-4] + "9999")

    right = body(ask(case.number, PHONE[-4:]))
    assert "已收件" in right and "王**" in right and "窗口收件" in right
    assert "王秀英" not in right and ID not in right and PHONE not in right

    for _ in range(10):
        ask(case.number, "1111", address="198.51.100.99")
    limited = ask(case.number, PHONE[-4:], address="198.51.100.99")
    assert limited.status_code == 429 and "查询过于频繁" in body(limited) and "王**" not in body(limited)


def test_a_returned_case_comes_back_to_the_village_which_asks_for_a_supplement_once(network, tiers):
    from cases.models import Case

    case = open_case(tiers.village, **{"m1-present": None})
    page = body(tiers.village.get(f"/admin/cases/{case.pk}/"))
    assert "补正/不予受理告知" in page and "余 5 个工作日" in page
    assert step(tiers.village, case, "hand_up").status_code == 302
    empty = step(tiers.township, case, "return_down", reason="  ")
    assert empty.status_code == 400 and "请填写退回理由" in body(empty)
    assert Case.objects.get(pk=case.pk).holder == network.township
    assert step(tiers.township, case, "return_down", reason="相片不符合规格").status_code == 302

    inbox = body(tiers.village.get("/admin/cases/inbox/"))
    assert f"被{network.township.name}退回：相片不符合规格" in inbox and "新</strong>" in inbox
    assert step(tiers.village, case, "request_supplement", materials=["数字相片"],
                other="申请表第 3 栏未签字").status_code == 302
    case.refresh_from_db()
    assert case.status == "supplement" and case.supplement_list == ["数字相片", "申请表第 3 栏未签字"]
    notice = body(tiers.village.get(f"/admin/cases/{case.pk}/notice/"))
    listed = notice[notice.index("<ol"):notice.index("</ol>")]
    assert "数字相片" in listed and "申请表第 3 栏未签字" in listed
    again = step(tiers.village, case, "request_supplement", materials=["数字相片"])
    assert again.status_code == 400 and "当前状态为“补正中”" in body(again)
    assert step(tiers.village, case, "supplement_received").status_code == 302
    assert Case.objects.get(pk=case.pk).status == "received"


def test_an_enterprise_applies_and_its_name_is_listed(network, tiers):
    case = open_case(tiers.village, kind="enterprise", name="云溪县测试农业有限公司", id_number="91110000600037341L",
                     legal_representative="李四")
    assert case.applicant_kind == "enterprise" and case.legal_representative == "李四"
    listing = body(tiers.village.get("/admin/cases/", {"number": case.number}))
    assert "云溪县测试农业有限公司" in listing and "91110000600037341L" not in listing
    missing = intake(tiers.village, form_token(tiers.village), kind="enterprise", name="某公司",
                     id_number="91110000600037341L")
    assert missing.status_code == 400 and "法定代表人" in body(missing)


def test_a_refusal_prints_its_reasons_and_the_right_to_appeal(network, tiers):
    case = open_case(tiers.county_window)
    refused = step(tiers.desk, case, "refuse", reason="申请人户籍不在本县，不属于本机关受理范围。")
    assert refused.status_code == 302
    printed = body(tiers.county_window.get(f"/admin/cases/{case.pk}/receipt/"))
    assert "不予受理决定书" in printed and "申请人户籍不在本县" in printed
    assert "行政复议" in printed and "行政诉讼" in printed
