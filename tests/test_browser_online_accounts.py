"""On a 375 px phone in headless Chromium, on the network host: a citizen signs
in by the code from the SMS, is refused a wrong ID number in Chinese, completes
the real-name step, finds their window case in 我的办件 with what is asked of
them, reads its public steps, and switches to large text. axe-core finds no
WCAG 2.1 A/AA violations on any of these pages, and none is wider than the phone."""
from __future__ import annotations

import re

import pytest

from tests.test_browser_citizen import PHONE, assert_fits_phone, assert_no_wcag_violations
from tests.test_online_accounts import new_id_number, new_phone, open_at_window

pytestmark = pytest.mark.browser


@pytest.fixture
def network(shared_network):
    return shared_network


def at(port: int, path: str) -> str:
    return f"http://localhost:{port}{path}"


def check(page) -> None:
    assert_fits_phone(page)
    assert_no_wcag_violations(page)


def test_a_citizen_signs_in_by_code_on_a_phone_and_follows_a_window_case(browser, network, live_server_url):
    from cases import services
    from cases.models import SmsMessage
    from cases.services import Actor

    port = live_server_url
    phone, id_number = new_phone(), new_id_number()
    clerk = Actor(network.user("online-browser-clerk", network.village, "clerk"), network.village, "10.0.0.8")
    case = open_at_window(clerk, id_number=id_number, phone=phone)
    services.request_supplement(case.pk, clerk, ["户口簿"])

    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(at(port, "/my/"))
        page.wait_for_url(re.compile(r"/login/\?next="))
        check(page)
        page.get_by_label("手机号码").fill("12345")
        page.get_by_role("button", name="获取验证码").click()
        assert page.get_by_role("alert").inner_text() == "请输入 11 位手机号码。"
        check(page)
        page.get_by_label("手机号码").fill(phone)
        page.get_by_role("button", name="获取验证码").click()
        page.wait_for_url(re.compile(r"/login/code/"))
        check(page)
        # The code's own message: the worker may deliver the window case's SMS to this phone after it.
        sent = SmsMessage.objects.filter(phone=phone, notice__isnull=True).latest("sent_at")
        code = re.search(r"验证码是 (\d{6})", sent.text)[1]
        page.get_by_label("6 位验证码").fill(code)
        page.get_by_role("button", name="登录").click()

        page.wait_for_url(re.compile(r"/account/verify/"))
        check(page)
        page.get_by_label("姓名（企业填写企业名称）").fill("王秀英")
        page.get_by_label("证件号码").fill(id_number[:-1] + ("0" if id_number[-1] != "0" else "1"))
        page.get_by_role("button", name="提交实名信息").click()
        assert "校验位不对" in page.get_by_role("alert").inner_text()
        check(page)
        page.get_by_label("证件号码").fill(id_number)
        page.get_by_role("button", name="提交实名信息").click()

        page.wait_for_url(re.compile(r"/my/$"))
        assert "补正材料：户口簿" in page.locator("main").inner_text()
        check(page)
        page.get_by_role("link", name=case.item_name).first.click()
        page.wait_for_url(re.compile(rf"/my/{re.escape(case.number)}/$"))
        main = page.locator("main").inner_text()
        assert "需要您补正的材料" in main and "窗口收件" in main and "一次性告知补正" in main
        check(page)

        page.get_by_role("button", name="大字模式").click()
        page.wait_for_url(re.compile(rf"/my/{re.escape(case.number)}/$"))
        assert "large-text" in page.locator("html").get_attribute("class")
        check(page)
        page.get_by_role("button", name="退出").click()
        page.wait_for_url(re.compile(r"/login/$"))
        assert "large-text" in page.locator("html").get_attribute("class")
    finally:
        context.close()
