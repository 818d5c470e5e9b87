"""Each point's catalogue: adopted at onboarding by tier, changed later by its admins."""
from __future__ import annotations

import pytest
from django.db.models import F
from django_tenants.utils import tenant_context
from wagtail.search.backends import get_search_backend

from cms.models import ItemGuidePage
from standards.models import Adoption, StandardItem, StandardItemVersion
from tests.conftest import Network


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test puts back
    what it drops or unpublishes; the one that compares whole catalogues with the
    library makes its own."""
    return shared_network


def _codes(point) -> set[str]:
    with tenant_context(point):
        return set(ItemGuidePage.objects.live().values_list("code", flat=True))


def _tier_codes(point, tier=None) -> set[str]:
    """Codes of the current versions `point` may see (its county's and the shared ones,
    not other test counties') whose accepting tiers include `tier` (its own by default)."""
    return set(StandardItemVersion.objects.filter(item__current=F("pk"), accept_tiers__contains=[tier or point.tier],
                                                  item__in=StandardItem.objects.visible_to(point))
               .values_list("item__code", flat=True))


def test_onboarding_adopts_what_the_tier_may_accept():
    network = Network()  # its own: nothing published since it was made
    for point in (network.county, network.township, network.village, network.park):
        assert _codes(point) == _tier_codes(point), point.tier
    # A village offers the items a village may accept (e.g. 出生登记 is county/township only).
    assert "YM-GAJ-QR-001" in _codes(network.county)
    assert "YM-GAJ-QR-001" not in _codes(network.village)
    assert Adoption.objects.filter(point=network.village).count() == len(_codes(network.village))


def test_guides_are_real_pages_at_their_code(network, client_at):
    code = sorted(_codes(network.village))[0]
    response = client_at(network.village).get(f"/items/{code}/")
    assert response.status_code == 200
    with tenant_context(network.village):
        guide = ItemGuidePage.objects.get(code=code)
        assert guide.get_parent().slug == "items"
        assert guide.url == f"/items/{code}/"
        # Adopted in bulk, yet found by the Wagtail admin's page search.
        found = get_search_backend().search(guide.title, ItemGuidePage)
        assert guide.pk in [page.pk for page in found]
    assert client_at(network.village).get(f"/items/{code.lower()}/").status_code == 200
    # Another village's host does not serve a guide its point does not offer.
    other_only = sorted(_codes(network.county) - _codes(network.village))[0]
    assert client_at(network.village).get(f"/items/{other_only}/").status_code == 404


def test_a_point_onboarded_later_gets_the_catalogue_as_it_is_then(network, make_item):
    later_item = make_item(accept_tiers=["township", "village"])  # published after the network
    point = network.make("village3", "village", network.township.region_code[:9] + "203", "town")
    assert later_item.code in _codes(point)
    assert later_item.code not in _codes(network.village)  # adopted at onboarding, not pushed to others
    assert _codes(point) == _tier_codes(point)


def test_admin_adopts_and_drops_items_in_bulk(network, client_at):
    admin = network.user("vadmin", network.village, "admin")
    client = client_at(network.village)
    client.force_login(admin)
    offered = sorted(_codes(network.village))[:3]
    response = client.post("/admin/catalogue/", {"action": "drop", "codes": offered}, follow=True)
    assert "已停办 3 项" in response.content.decode()
    assert not (_codes(network.village) & set(offered))
    assert client_at(network.village).get(f"/items/{offered[0]}/").status_code == 404
    assert not Adoption.objects.filter(point=network.village, item__code__in=offered).exists()

    response = client.post("/admin/catalogue/", {"action": "adopt", "codes": offered}, follow=True)
    assert "已采用 3 项" in response.content.decode()
    assert set(offered) <= _codes(network.village)
    assert Adoption.objects.filter(point=network.village, item__code__in=offered).count() == 3
    # The other village is untouched throughout.
    assert set(offered) <= _codes(network.other_village)


def test_an_item_the_tier_may_not_accept_cannot_be_adopted(network, client_at):
    admin = network.user("vadmin2", network.village, "admin")
    client = client_at(network.village)
    client.force_login(admin)
    county_only = sorted(_tier_codes(network.village, "county") - _tier_codes(network.village))[0]
    response = client.post("/admin/catalogue/", {"action": "adopt", "codes": [county_only]}, follow=True)
    assert "已采用 0 项" in response.content.decode()
    assert county_only not in _codes(network.village)


def test_editors_may_not_change_the_catalogue(network, client_at):
    editor = network.user("veditor", network.village, "editor")
    client = client_at(network.village)
    client.force_login(editor)
    before = _codes(network.village)
    response = client.post("/admin/catalogue/", {"action": "drop", "codes": sorted(before)[:1]})
    assert response.status_code in (302, 403)
    assert _codes(network.village) == before


def test_a_published_local_change_keeps_the_adoption_in_step(network):
    code = sorted(_codes(network.township))[0]
    with tenant_context(network.township):
        guide = ItemGuidePage.objects.get(code=code)
        guide.window = "综合窗口 2 号"
        guide.save_revision().publish()
        guide.unpublish()
    assert not Adoption.objects.filter(point=network.township, item__code=code).exists()
    with tenant_context(network.township):
        guide = ItemGuidePage.objects.get(code=code)
        guide.save_revision().publish()
    assert Adoption.objects.filter(point=network.township, item__code=code).exists()
