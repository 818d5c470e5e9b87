"""Onboarding from the admin: central admins of the county and township admins."""
import pytest

from tenants.models import Domain, Role, ServicePoint


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test makes
    users and data of its own names."""
    return shared_network


PASSWORD = "pass-Word-2026"


def _form(network, **overrides):
    data = {
        "parent": network.township.slug, "tier": "village", "name": "新建社区便民服务站",
        "slug": f"{network.tag}-form-new", "region_code": network.township.region_code[:9] + "280",
        "address": "新建路 1 号", "latitude": "28.21", "longitude": "112.61",
        "phone": "0731-86200001", "hours": "周一至周五", "admin_username": f"{network.tag}-form-admin",
        "admin_password": "A-long-pass-2026",
    }
    data.update(overrides)
    return data


def test_township_admin_onboards_a_village_below_it(network, client_at):
    admin = network.user("t-admin", network.township, Role.ADMIN)
    client = client_at(network.township)
    assert client.login(username=admin.username, password=PASSWORD)
    page = client.get("/admin/network/onboard/")
    assert page.status_code == 200 and "新建服务点" in page.content.decode()

    response = client.post("/admin/network/onboard/", _form(network))
    assert response.status_code == 302
    point = ServicePoint.objects.get(slug=f"{network.tag}-form-new")
    assert point.parent == network.township and point.tier == "village"
    home = client_at(point).get("/")
    assert home.status_code == 200 and "新建社区便民服务站" in home.content.decode()
    assert client_at(point).login(username=f"{network.tag}-form-admin", password="A-long-pass-2026")


def test_bad_form_input_shows_chinese_errors_and_creates_nothing(network, client_at):
    admin = network.user("t-admin2", network.township, Role.ADMIN)
    client = client_at(network.township)
    assert client.login(username=admin.username, password=PASSWORD)
    before = (ServicePoint.objects.count(), Domain.objects.count())
    response = client.post("/admin/network/onboard/", _form(
        network, slug=network.village.slug, region_code="111111111111"))
    body = response.content.decode()
    assert response.status_code == 200
    assert f"标识“{network.village.slug}”已被其他服务点使用。" in body
    assert "区划代码" in body and "一致" in body
    assert (ServicePoint.objects.count(), Domain.objects.count()) == before


def test_others_cannot_onboard(network, client_at):
    editor = network.user("v-editor", network.village, Role.EDITOR)
    client = client_at(network.village)
    assert client.login(username=editor.username, password=PASSWORD)
    # Wagtail turns the refusal into a redirect to the dashboard with a message.
    refused = client.get("/admin/network/onboard/")
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    before = ServicePoint.objects.count()
    assert client.post("/admin/network/onboard/", _form(network))["Location"] == "/admin/"
    assert ServicePoint.objects.count() == before
    # A township admin cannot put a point under another township.
    admin = network.user("t-admin3", network.township, Role.ADMIN)
    at_town = client_at(network.township)
    assert at_town.login(username=admin.username, password=PASSWORD)
    response = at_town.post("/admin/network/onboard/", _form(network, parent=network.other_township.slug))
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    assert ServicePoint.objects.count() == before


def test_central_admin_onboards_a_township(network, client_at):
    central = network.user("central", network.county, Role.CENTRAL_ADMIN)
    client = client_at(network.county)
    assert client.login(username=central.username, password=PASSWORD)
    response = client.post("/admin/network/onboard/", _form(
        network, parent=network.county.slug, tier="township", slug=f"{network.tag}-newtown",
        region_code=network.county.region_code[:6] + "150000", admin_username=f"{network.tag}-town-admin"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ServicePoint.objects.get(slug=f"{network.tag}-newtown").tier == "township"
