"""Entering a lower point from above (/go/ → /enter/<token>/) without a second
password. A GET of the entry link signs nobody in: otherwise any page could
send a visitor's browser there and sign it in to the token owner's account
(login CSRF). Only the confirming POST, with the point's CSRF token, does."""
from __future__ import annotations

import re

import pytest

from tenants.models import Role


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test enters with its own admin."""
    return shared_network

PASSWORD = "pass-Word-2026"


def _entry_path(network, client_at, admin) -> str:
    at_town = client_at(network.township)
    assert at_town.login(username=admin.username, password=PASSWORD)
    hop = at_town.post(f"/go/{network.village.slug}/")
    assert hop.status_code == 302
    return hop["Location"].split(network.village.primary_host, 1)[1]


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_a_followed_entry_link_signs_nobody_in_until_confirmed_once(network, client_at):
    admin = network.user("enter-admin", network.township, Role.ADMIN)
    path = _entry_path(network, client_at, admin)

    browser = client_at(network.village)
    browser.handler.enforce_csrf_checks = True  # as a browser is checked
    # A link followed from anywhere: a page that names the account and asks.
    asked = browser.get(path)
    assert asked.status_code == 200
    text = asked.content.decode()
    assert admin.username in text and "进入本服务点" in text
    assert "no-store" in asked["Cache-Control"]
    assert not _signed_in(browser)
    # A form posted from another site carries no CSRF token of this host.
    assert browser.post(path).status_code == 403
    assert not _signed_in(browser)
    # The page's own button signs in.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
    landed = browser.post(path, {"csrfmiddlewaretoken": token})
    assert landed.status_code == 302 and landed["Location"] == "/admin/"
    assert _signed_in(browser)
    # Once only: neither the page nor the button works again.
    again = client_at(network.village)
    assert again.get(path).status_code == 403
    assert again.post(path).status_code == 403
    assert not _signed_in(again)


def test_an_entry_link_for_another_point_or_tampered_signs_nobody_in(network, client_at):
    admin = network.user("enter-admin2", network.township, Role.ADMIN)
    path = _entry_path(network, client_at, admin)
    elsewhere = client_at(network.other_village)
    assert elsewhere.get(path).status_code == 403
    assert elsewhere.post(path).status_code == 403
    tampered = client_at(network.village)
    assert tampered.post(path.replace("/enter/", "/enter/x")).status_code == 403
    assert not _signed_in(tampered)
    # The real link still works where it belongs: the refusals used nothing up.
    assert client_at(network.village).post(path).status_code == 302
