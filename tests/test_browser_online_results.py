"""On a 375 px phone in headless Chromium, on the network host: the applicant
of a closed case opens the QR of an electronic result, sees it valid, checks
the PDF they hold (the original verifies, a copy with one byte changed does
not), rates the service from the receipt's QR with a bad grade (a comment is
asked for in Chinese first) and reads the promise of a reply; after the
deciding department revokes the result, the same QR says so. axe-core finds no
WCAG 2.1 A/AA violations on any of these pages, and none is wider than the phone."""
from __future__ import annotations

import pytest

from tests.test_browser_citizen import PHONE, assert_fits_phone, assert_no_wcag_violations

pytestmark = pytest.mark.browser

ID = "11010519491231002X"


@pytest.fixture
def network(shared_network):
    return shared_network


def check(page) -> None:
    assert_fits_phone(page)
    assert_no_wcag_violations(page)


def test_a_result_verified_rated_and_revoked_on_a_phone(browser, network, live_server_url, make_item, tmp_path):
    from cases import ratings, results, services
    from cases.models import FollowUp

    port = live_server_url
    root = f"http://localhost:{port}"
    version = make_item(adopt_at=[network.county], accept_tiers=["county"], delivery=["电子送达"])
    clerk = services.Actor(network.user("br-result-clerk", network.county, "clerk"), network.county, "10.0.3.1")
    materials = [services.MaterialCheck(m["name"], present=True, original=True, copies=1)
                 for m in version.content.get("materials", [])]
    case = services.open_case(clerk, services.Intake(
        item_code=version.item.code, materials=materials,
        applicant=services.Applicant(kind="person", name="王秀英", id_number=ID, phone="13812340001")))
    services.accept(case.pk, clerk)
    services.decide(case.pk, clerk, granted=True, text="准予办理。")
    result = results.deliver_electronic(case.pk, clerk, verify_root=root)
    services.close(case.pk, clerk)
    original = result.pdf.open("rb").read()
    (tmp_path / "原件.pdf").write_bytes(original)
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 1
    (tmp_path / "改过.pdf").write_bytes(bytes(changed))

    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{root}/verify/{result.token}")
        assert "有效" in page.get_by_role("status").first.inner_text()
        assert page.locator("code.fingerprint").first.inner_text() == result.sha256
        assert "王" in page.locator("dl.facts").inner_text() and "秀英" not in page.locator("dl.facts").inner_text()
        check(page)

        page.get_by_label("选择您收到的 PDF 文件").set_input_files(str(tmp_path / "原件.pdf"))
        page.get_by_role("button", name="核验").click()
        assert "一致" in page.get_by_role("status").last.inner_text()
        check(page)
        page.get_by_label("选择您收到的 PDF 文件").set_input_files(str(tmp_path / "改过.pdf"))
        page.get_by_role("button", name="核验").click()
        assert "不一致" in page.get_by_role("alert").inner_text()
        check(page)

        page.goto(f"{root}/rate/{ratings.token_for(case)}/")
        check(page)
        page.get_by_label("2 星", exact=False).check()
        page.get_by_role("button", name="提交评价").click()
        assert page.get_by_role("alert").inner_text() == "请简要写明不满意的原因，以便我们整改。"
        assert not FollowUp.objects.filter(rating__case=case).exists()
        page.get_by_label("2 星", exact=False).check()
        page.get_by_label("意见或建议").fill("窗口只开了一个，排队太久。")
        page.get_by_role("button", name="提交评价").click()
        assert page.get_by_role("status").first.inner_text() == "感谢您的评价！"
        follow_up = FollowUp.objects.get(rating__case=case)
        assert f"{follow_up.due_date.year}年{follow_up.due_date.month}月{follow_up.due_date.day}日" in \
            page.locator("dl.facts").inner_text()
        check(page)

        results.revoke(result.pk, clerk, "申请人信息有误，已重新出具")
        page.goto(f"{root}/verify/{result.token}")
        assert "已撤销" in page.get_by_role("alert").inner_text()
        assert "申请人信息有误" in page.get_by_role("alert").inner_text()
        check(page)
    finally:
        context.close()
