"""On a 375 px phone in headless Chromium, on the network host: a signed-in,
verified citizen chooses the point, fills in the online form, saves a draft with
one file, is refused an executable renamed .pdf in Chinese, submits with both
materials, and later uploads the 补正 the window asked for. axe-core finds no
WCAG 2.1 A/AA violations on any of these pages, and none is wider than the phone.
(Signing in by code is walked in test_browser_online_accounts.)"""
from __future__ import annotations

import re

import pytest

from tests.test_browser_citizen import PHONE, assert_fits_phone, assert_no_wcag_violations
from tests.test_online_apply import EXE, ITEM, PDF, PNG, id_number

pytestmark = pytest.mark.browser


@pytest.fixture
def network(shared_network):
    return shared_network


def at(port: int, path: str) -> str:
    return f"http://localhost:{port}{path}"


def check(page) -> None:
    assert_fits_phone(page)
    assert_no_wcag_violations(page)


def signed_in_session(name: str) -> tuple[object, str]:
    """A verified account and the key of a network-host session signed in with it."""
    import secrets

    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.utils import timezone

    from online.models import CitizenAccount
    from online.session import SESSION_KEY

    phone = f"137{secrets.randbelow(10 ** 8):08d}"
    user = get_user_model().objects.create_user(f"citizen-{phone}")
    account = CitizenAccount.objects.create(user=user, phone=phone, name=name, id_number=id_number(),
                                            verified_at=timezone.now())
    connection.set_schema_to_public()  # the network host's sessions
    session = SessionStore()
    session[SESSION_KEY] = account.pk
    session.save()
    return account, session.session_key


def test_a_citizen_applies_online_and_uploads_a_supplement_on_a_phone(browser, network, live_server_url):
    from django.conf import settings

    from cases import services
    from cases.models import Case, Status

    port = live_server_url
    account, key = signed_in_session("赵玉梅")
    context = browser.new_context(**PHONE)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": key, "url": at(port, "/")}])
    try:
        page = context.new_page()
        page.goto(at(port, f"/apply/{ITEM}/"))
        check(page)
        # Every test network names its village alike: the link of this network's village, by its address.
        link = page.locator(f'a[href="/apply/{network.village.slug}/{ITEM}/"]')
        assert link.inner_text() == f"在{network.village.name}申请"
        link.click()
        page.wait_for_url(re.compile(rf"/apply/{network.village.slug}/{ITEM}/$"))
        check(page)

        page.get_by_label("通讯地址（邮寄送达时使用）").fill("长寿路 18 号")
        page.get_by_label("上传居民身份证").set_input_files(
            {"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": PDF})
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_url(re.compile(r"saved=1"))
        assert "已保存草稿" in page.get_by_role("status").inner_text()
        assert page.get_by_role("link", name="身份证.pdf").is_visible()
        check(page)

        page.get_by_label("上传数字相片").set_input_files(
            {"name": "相片.pdf", "mimeType": "application/pdf", "buffer": EXE})
        page.get_by_role("button", name="提交申请").click()
        assert "不是 PDF、JPEG、PNG 或 OFD 格式" in page.get_by_role("alert").inner_text()
        check(page)
        page.get_by_label("上传数字相片").set_input_files({"name": "相片.png", "mimeType": "image/png", "buffer": PNG})
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r"/submitted/"))
        check(page)
        case = Case.objects.get(applicant_user=account.user)
        assert case.status == Status.APPLIED and case.number in page.locator("main").inner_text()

        clerk = services.Actor(network.user("apply-browser-clerk", network.village, "clerk"), network.village)
        services.request_supplement(case.pk, clerk, ["数字相片"])
        page.goto(at(port, f"/my/{case.number}/supplement/"))
        check(page)
        page.get_by_label("数字相片").set_input_files({"name": "新相片.png", "mimeType": "image/png", "buffer": PNG})
        page.get_by_role("button", name="提交补正材料").click()
        page.wait_for_url(re.compile(r"done=1"))
        assert "补正材料已提交" in page.get_by_role("status").inner_text()
        check(page)
        assert Case.objects.get(pk=case.pk).status == Status.APPLIED
    finally:
        context.close()
