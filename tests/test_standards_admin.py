"""事项标准库 in the county's Wagtail admin, through the Django client: who may
see it, draft → review → publish with the four-eyes rule, rejection, errors
in Chinese next to fields with nothing saved, the diff page, import upload."""
from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import ROOT

ADMIN = "/admin/standards/"
# An untouched blank material row, as the browser posts the editor's spare rows.
EMPTY_ROW = {"name": "", "required": True, "form": "", "copies": "1", "source": "", "note": ""}


def text(response) -> str:
    return response.content.decode()


def editor_data(content: dict, *, materials=None, faq=None, note="", **fields) -> dict:
    """POST data of the draft editor holding `content` with `fields` changed."""
    from standards.forms import legal_lines

    c = {**content, **fields}
    data = {
        "name": c["name"], "aliases": "\n".join(c["aliases"]), "type": c["type"], "department": c["department"],
        "target": c["target"].split(","), "themes": c["themes"], "accept_tiers": c["accept_tiers"],
        "decide_tier": c["decide_tier"], "legal_basis": legal_lines(c["legal_basis"]),
        "conditions": c["conditions"], "quantity_limit": c.get("quantity_limit", ""), "steps": "\n".join(c["steps"]),
        "statutory_days": str(c["statutory_days"]), "promised_days": str(c["promised_days"]), "fee": c["fee"],
        "fee_basis": c.get("fee_basis", ""), "fee_waiver": c.get("fee_waiver", ""), "visits": str(c["visits"]),
        "visit_reason": c.get("visit_reason", ""), "online": c["online"], "online_url": c.get("online_url", ""),
        "delivery": c["delivery"], "result": c["result"], "phone": c["phone"], "note": note,
    }
    if c["park_delegable"]:
        data["park_delegable"] = "on"
    materials = content["materials"] if materials is None else materials
    data.update({"materials-TOTAL_FORMS": str(len(materials)),
                 "materials-INITIAL_FORMS": str(len(content["materials"])),
                 "materials-MIN_NUM_FORMS": "0", "materials-MAX_NUM_FORMS": "1000"})
    for n, m in enumerate(materials):
        for key, value in m.items():
            if key == "required":
                if value:
                    data[f"materials-{n}-required"] = "on"
            elif key == "DELETE":
                if value:
                    data[f"materials-{n}-DELETE"] = "on"
            else:
                data[f"materials-{n}-{key}"] = str(value)
    faq = content.get("faq", []) if faq is None else faq
    data.update({"faq-TOTAL_FORMS": str(len(faq)), "faq-INITIAL_FORMS": str(len(content.get("faq", []))),
                 "faq-MIN_NUM_FORMS": "0", "faq-MAX_NUM_FORMS": "1000"})
    for n, e in enumerate(faq):
        data[f"faq-{n}-q"], data[f"faq-{n}-a"] = e["q"], e["a"]
    return data


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test makes the
    county's items it works on and reads only those."""
    return shared_network


@pytest.fixture
def make_item(make_item, network):
    """Items made here belong to the test network's county, whose central admins edit them."""
    def make(**options):
        return make_item(**{"owner": network.county, **options})

    return make


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_only_the_countys_central_admins_get_the_library(network, client_at, admins, make_item):
    a, _, _, _ = admins
    item = make_item()
    dashboard = a.get("/admin/")
    assert dashboard.status_code == 200 and ADMIN in text(dashboard)  # the menu item
    listing = a.get(ADMIN, {"q": item.code})
    assert listing.status_code == 200
    assert item.code in text(listing) and item.name in text(listing)
    assert "第 1 版" in text(listing)

    # The county's plain admin, a township's admin and a village editor are refused, politely.
    county_admin = network.user("countyadmin", network.county, "admin")
    town_admin = network.user("townadmin", network.township, "admin")
    for point, user in ((network.county, county_admin), (network.township, town_admin)):
        client = client_at(point)
        client.force_login(user)
        home = client.get("/admin/")
        assert home.status_code == 200 and ADMIN not in text(home)
        for url in (ADMIN, f"{ADMIN}items/{item.code}/", f"{ADMIN}items/{item.code}/diff/", f"{ADMIN}import/"):
            denied = client.get(url)
            assert denied.status_code == 403, url
            assert "只有县级服务点的中心管理员可以管理事项标准库。" in text(denied)
            assert item.name not in text(denied)
        assert client.post(f"{ADMIN}items/{item.code}/draft/").status_code == 403
    from standards.models import StandardItem

    assert StandardItem.objects.get(code=item.code).versions.count() == 1

    # A central admin who opens a township's admin does not manage standards there.
    roaming = client_at(network.township)
    roaming.force_login(network.user("carol", network.county, "central_admin"))
    assert roaming.get(ADMIN).status_code == 403


def test_draft_review_publish_with_four_eyes(admins, make_item):
    from standards.models import StandardItem, VersionStatus

    a, b, alice, bob = admins
    v1 = make_item()
    item = StandardItem.objects.get(code=v1.code)

    response = a.post(f"{ADMIN}items/{item.code}/draft/", {"note": "调整受理条件"})
    draft = item.versions.get(number=2)
    assert response.status_code == 302 and response.url == f"{ADMIN}versions/{draft.pk}/edit/"
    page = a.get(response.url)
    assert page.status_code == 200
    assert "编辑草稿" in text(page) and v1.content["conditions"] in text(page)

    # Errors are shown next to their fields in Chinese, and nothing is saved.
    bad_materials = [*v1.content["materials"][:1], {"name": "", "form": "原件", "copies": "1", "source": "申请人提供",
                                                    "required": True}]
    bad = a.post(f"{ADMIN}versions/{draft.pk}/edit/", editor_data(
        v1.content, name="", statutory_days=3, promised_days=8, materials=bad_materials))
    assert bad.status_code == 400
    html = text(bad)
    assert "草稿未保存" in html
    assert re.search(r'data-field="name">.*?<p class="error-message"[^>]*>不能为空。</p>', html, re.S)
    assert "承诺时限 8 个工作日不能超过法定时限 3 个工作日。" in html
    assert "材料名称不能为空" in html
    draft.refresh_from_db()
    assert draft.content == v1.content and draft.name == v1.name

    # A good edit: new conditions, one material dropped, one added, a question answered.
    kept = [{**m, "DELETE": n == 1} for n, m in enumerate(v1.content["materials"])]
    added = {"name": "授权委托书", "required": False, "form": "原件", "copies": "1", "source": "申请人提供",
             "note": "委托他人办理时提供", "blank_form_url": "", "sample_url": ""}
    good = a.post(f"{ADMIN}versions/{draft.pk}/edit/", editor_data(
        v1.content, conditions="本县户籍居民，材料齐全即可受理。", materials=[*kept, added, EMPTY_ROW, EMPTY_ROW],
        faq=[{"q": "可以委托他人办理吗？", "a": "可以，需带授权委托书。"}], note="调整受理条件，增加委托书"))
    assert good.status_code == 302, text(good)[:3000]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert draft.content["conditions"] == "本县户籍居民，材料齐全即可受理。"
    names = [m["name"] for m in draft.content["materials"]]
    assert names[-1] == "授权委托书" and v1.content["materials"][1]["name"] not in names
    assert draft.content["faq"] == [{"q": "可以委托他人办理吗？", "a": "可以，需带授权委托书。"}]
    assert draft.note == "调整受理条件，增加委托书"

    # Submit; the submitter may not publish it.
    assert a.post(f"{ADMIN}versions/{draft.pk}/submit/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.REVIEW and draft.submitted_by == alice
    refused = a.post(f"{ADMIN}versions/{draft.pk}/publish/", follow=True)
    assert "提交审核的人不能自己发布，请由另一位中心管理员审核发布。" in messages_of(refused)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.REVIEW
    # Nor edit it while under review.
    frozen = a.get(f"{ADMIN}versions/{draft.pk}/edit/", follow=True)
    assert "第 2 版待审核，只有草稿可以修改。" in messages_of(frozen)

    published = b.post(f"{ADMIN}versions/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED and draft.published_by == bob
    assert published.status_code == 302 and published.url == f"{ADMIN}propagations/{draft.propagation.pk}/"
    item.refresh_from_db()
    assert item.current_id == draft.pk
    page = b.get(f"{ADMIN}items/{item.code}/")
    assert "第 2 版</a>（现行）" in text(page) and "调整受理条件，增加委托书" in text(page)
    assert f"{alice.username}，" in text(page) and f"{bob.username}，" in text(page)

    # A published version cannot be edited from the admin either.
    again = b.post(f"{ADMIN}versions/{draft.pk}/edit/", editor_data(draft.content, fee="改一下"), follow=True)
    assert "第 2 版已发布，只有草稿可以修改。" in messages_of(again)
    draft.refresh_from_db()
    assert draft.content["fee"] != "改一下"


def test_reject_with_a_note_then_discard(admins, make_item):
    from standards.models import StandardItem, VersionStatus

    a, b, _, _ = admins
    v1 = make_item()
    a.post(f"{ADMIN}items/{v1.code}/draft/")
    draft = StandardItem.objects.get(code=v1.code).versions.get(number=2)
    a.post(f"{ADMIN}versions/{draft.pk}/submit/")

    empty = b.post(f"{ADMIN}versions/{draft.pk}/reject/", {"review_note": " "}, follow=True)
    assert "退回时请写明审核意见。" in messages_of(empty)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.REVIEW

    b.post(f"{ADMIN}versions/{draft.pk}/reject/", {"review_note": "收费依据没写"})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.review_note == "收费依据没写"
    edit = a.get(f"{ADMIN}versions/{draft.pk}/edit/")
    assert "审核意见：收费依据没写" in text(edit)

    # Only one open draft per item.
    second = a.post(f"{ADMIN}items/{v1.code}/draft/", follow=True)
    assert any("已有未发布的第 2 版" in m for m in messages_of(second))

    a.post(f"{ADMIN}versions/{draft.pk}/discard/")
    assert not StandardItem.objects.get(code=v1.code).versions.filter(number=2).exists()
    page = a.get(f"{ADMIN}items/{v1.code}/")
    assert "从现行版本新建草稿" in text(page)


def test_the_diff_page_shows_what_changed(admins, make_item):
    from standards import services
    from standards.models import StandardItem

    a, _, _, _ = admins
    v1 = make_item(conditions="婴儿出生后一个月以内申报。")
    item = StandardItem.objects.get(code=v1.code)
    draft = services.start_draft(item)
    content = {**v1.content, "conditions": "婴儿出生后两个月以内申报。", "promised_days": 3,
               "materials": [*v1.content["materials"][1:], {"name": "委托书", "form": "原件", "copies": 1,
                                                            "source": "申请人提供", "required": False}]}
    services.update_draft(draft, content)

    page = a.get(f"{ADMIN}items/{v1.code}/diff/", {"from": 1, "to": 2})
    assert page.status_code == 200
    html = text(page)
    assert "第 1 版（已发布）→ 第 2 版（草稿）：3 处要素改动" in html
    row = re.search(r'<tr data-field="conditions">(.*?)</tr>', html, re.S).group(1)
    assert "受理条件" in row
    assert re.search(r"<del><span class=\"w-sr-only\">【删除：</span>一<span", row)
    assert re.search(r"<ins><span class=\"w-sr-only\">【新增：</span>两<span", row)
    materials = re.search(r'<tr data-field="materials">(.*?)</tr>', html, re.S).group(1)
    assert "新增</span>" in materials and "委托书" in materials
    assert "删除</span>" in materials and v1.content["materials"][0]["name"] in materials
    days = re.search(r'<tr data-field="promised_days">(.*?)</tr>', html, re.S).group(1)
    assert "承诺办结时限（工作日）" in days and re.search(r"原为</span>\d+</del> → <ins>.*?改为</span>3</ins>", days)
    # The version page shows the same changes against the current version.
    version_page = a.get(f"{ADMIN}versions/{draft.pk}/")
    assert "与第 1 版（现行）相比的改动" in text(version_page) and 'data-field="conditions"' in text(version_page)


def test_list_filters_by_department_status_and_search(admins, make_item):
    from standards import services
    from standards.models import StandardItem

    a, _, _, _ = admins
    mine = make_item(department="测试局")
    other = make_item(department="测试局")
    services.start_draft(StandardItem.objects.get(code=mine.code))

    by_dept = text(a.get(ADMIN, {"department": "测试局"}))
    assert mine.code in by_dept and other.code in by_dept and "YM-GAJ-QR-001" not in by_dept
    drafts = text(a.get(ADMIN, {"department": "测试局", "status": "draft"}))
    assert mine.code in drafts and other.code not in drafts and "第 2 版：草稿" in drafts
    found = text(a.get(ADMIN, {"q": "出生登记"}))
    assert "YM-GAJ-QR-001" in found and mine.code not in found


def test_import_upload_checks_first_and_submits_on_confirm(admins, make_item):
    from standards.models import StandardItem

    a, b, _, _ = admins
    mine = make_item()
    base = json.loads((ROOT / "platform/standards/demo_data/standard_items.json").read_text("utf-8"))[0]
    bad = [{**base, "code": mine.code, "fee": "新收费"}, {**base, "code": mine.code[:-3] + "999", "online": "电话办"}]
    upload = SimpleUploadedFile("bad.json", json.dumps(bad, ensure_ascii=False).encode(), "application/json")
    page = a.post(f"{ADMIN}import/", {"file": upload, "note": "批量调整"})
    assert page.status_code == 400
    assert "发现 1 个问题，未导入任何事项" in text(page) and "第 2 条" in text(page) and "网办深度" in text(page)
    assert StandardItem.objects.get(code=mine.code).current.number == 1

    good = SimpleUploadedFile("good.json", json.dumps(bad[:1], ensure_ascii=False).encode(), "application/json")
    page = a.post(f"{ADMIN}import/", {"file": good, "note": "批量调整"})
    assert page.status_code == 200 and "校验通过" in text(page) and f"{mine.code}：将发布新版本" in text(page)
    assert StandardItem.objects.get(code=mine.code).current.number == 1  # not yet
    done = a.post(f"{ADMIN}import/", {"confirm": "1"}, follow=True)
    assert any("新版本 1 项已提交审核" in m for m in messages_of(done))
    assert StandardItem.objects.get(code=mine.code).current.number == 1  # waits for a second central admin
    b.post(done.redirect_chain[-1][0] + "approve/")  # tests/test_standards_import_review.py has the rest
    current = StandardItem.objects.get(code=mine.code).current
    assert current.number == 2 and current.content["fee"] == "新收费" and current.note == "批量调整"

    export = a.get(f"{ADMIN}export/", {"format": "json"})
    records = json.loads(b"".join(export.streaming_content) if export.streaming else export.content)
    assert any(r["code"] == mine.code and r["fee"] == "新收费" for r in records)


def test_propagation_page_counts_points_and_lists_conflicts(network, admins, make_item, celery_worker):
    import time

    from django_tenants.utils import tenant_context

    from cms.models import ItemGuidePage
    from standards import services
    from standards.models import StandardItem

    a, b, _, _ = admins
    v1 = make_item(adopt_at=[network.township, network.village], accept_tiers=["county", "township", "village"])
    with tenant_context(network.village):  # the village states its own phone number
        assert ItemGuidePage.objects.filter(code=v1.code).update(phone="0731-89999999") == 1
    item = StandardItem.objects.get(code=v1.code)
    draft = services.start_draft(item)
    services.update_draft(draft, {**v1.content, "phone": "0731-86000000"}, note="更换咨询电话")
    a.post(f"{ADMIN}versions/{draft.pk}/submit/")
    published = b.post(f"{ADMIN}versions/{draft.pk}/publish/")
    assert published.status_code == 302
    progress_url = published.url

    deadline = time.monotonic() + 60
    while True:
        page = b.get(progress_url)
        html = text(page)
        if "推送已完成" in html:
            break
        assert '<meta http-equiv="refresh" content="3">' in html  # refreshes itself while running
        assert time.monotonic() < deadline, "propagation did not finish"
        time.sleep(0.5)
    assert '<meta http-equiv="refresh"' not in html
    assert "推送已完成：2/2 个服务点（100%）" in html
    assert re.search(r'std-count-published"><a href="\?status=published"><strong>1</strong>已发布', html)
    assert re.search(r'std-count-conflict"><a href="\?status=conflict"><strong>1</strong>待本点确认', html)
    trouble = re.search(r'<table class="listing std-trouble">(.*?)</table>', html, re.S).group(1)
    assert network.village.name in trouble and network.township.name not in trouble
    assert f"http://{network.village.primary_host}/items/{v1.code}/" in trouble

    only = text(b.get(progress_url, {"status": "conflict"}))
    rows = re.search(r'<table class="listing std-targets">(.*?)</table>', only, re.S).group(1)
    assert network.village.name in rows and network.township.name not in rows

    # The item page sums it up per version.
    summary = text(b.get(f"{ADMIN}items/{v1.code}/"))
    assert "第 2 版的推送</a>" in summary and "<td>2/2</td>" in summary
