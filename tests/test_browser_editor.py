"""A point's staff localise a guide in the Wagtail editor and citizens see it."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from cms.models import ItemGuidePage
from tests.browser import sign_in, url

pytestmark = pytest.mark.browser


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test edits a guide of its own item."""
    return shared_network


def _guide(point, code) -> ItemGuidePage:
    with tenant_context(point):
        return ItemGuidePage.objects.select_related("standard_version").get(code=code)


def _publish(page) -> None:
    page.locator("footer .w-dropdown__toggle, [data-w-dropdown-target='toggle']").last.click()
    with page.expect_navigation():
        page.locator("button[name='action-publish']").click()


def test_point_admin_changes_a_local_detail_and_citizens_see_it(browser, network, live_server_url,
                                                                 make_item):
    version = make_item(adopt_at=[network.village], accept_tiers=["township", "village"],
                        statutory_days=20, promised_days=10)
    admin = network.user("vadmin", network.village, "admin")
    guide = _guide(network.village, version.code)
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, network.village, live_server_url, admin.username)
        page.goto(url(network.village, live_server_url, f"/admin/pages/{guide.pk}/edit/"))
        # The standard's content is shown read-only beside the local fields.
        assert page.get_by_text(version.content["conditions"][:20]).first.is_visible()
        page.fill("#id_window", "便民服务窗口 1 号")
        page.fill("#id_promised_days", "25")  # above the statutory 20 days
        _publish(page)
        assert page.get_by_text("不能超过法定时限 20 个工作日").first.is_visible()
        assert _guide(network.village, version.code).window == ""  # nothing published

        page.fill("#id_promised_days", "3")
        _publish(page)
        live = _guide(network.village, version.code)
        assert live.window == "便民服务窗口 1 号" and live.promised_days == 3

        citizen = context.new_page()
        citizen.goto(url(network.village, live_server_url, f"/items/{version.code}/"))
        assert citizen.get_by_text("便民服务窗口 1 号").first.is_visible()
        body = citizen.locator("main").inner_text()
        assert "3 个工作日" in body and "20 个工作日" in body  # promised against statutory
    finally:
        context.close()


def test_an_editors_change_waits_for_approval(network, client_at, make_item):
    version = make_item(adopt_at=[network.village], accept_tiers=["township", "village"])
    editor = network.user("veditor", network.village, "editor")
    guide = _guide(network.village, version.code)
    client = client_at(network.village)
    client.force_login(editor)
    form = client.get(f"/admin/pages/{guide.pk}/edit/")
    assert form.status_code == 200
    data = {"title": guide.title, "window": "编辑改的窗口", "implementation_code": "", "address": "",
            "hours": "", "phone": "", "promised_days": "", "fee_note": "", "online_url": "", "notes": "",
            "action-publish": "1"}
    client.post(f"/admin/pages/{guide.pk}/edit/", data)
    live = _guide(network.village, version.code)
    assert live.window == ""  # an editor cannot publish …
    with tenant_context(network.village):  # … but the change is kept as a draft
        assert live.has_unpublished_changes
        assert live.get_latest_revision_as_object().window == "编辑改的窗口"
    assert "编辑改的窗口" not in client_at(network.village).get(f"/items/{version.code}/").content.decode()
