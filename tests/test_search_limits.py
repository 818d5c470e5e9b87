"""Anonymous search cannot fill the search log: each client address has a
budget per minute for searches (API and results page together), suggestions
and result clicks; over it the answer is 429 in Chinese with Retry-After and
nothing is written. Another address keeps its own budget. X-Forwarded-For
counts only behind as many proxies as the settings trust. A visitor's
repeated click on the same result is logged once.

The suite's own clients come from loopback, which the test settings exempt;
these tests speak from addresses of their own (random, so that budgets left
in Redis by an earlier run never meet them), with small budgets per day so
that no window ends in the middle of a test."""
from __future__ import annotations

import json
import secrets

import pytest
from django.test import Client

from search.models import SearchClick, SearchLog

CHINESE = "请求过于频繁"


def address() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    """One county network of test points for the module, its guides indexed."""
    from tests.conftest import Network

    with django_db_blocker.unblock():
        made = Network()
        made.index()
    return made


@pytest.fixture
def small_budgets(settings):
    settings.SEARCH_RATE_LIMITS = {"search": "3/d", "suggest": "4/d", "click": "2/d"}


def logged(point) -> int:
    return SearchLog.objects.filter(point=point).count()


def clicks(point) -> int:
    return SearchClick.objects.filter(point=point).count()


def test_over_its_budget_a_client_gets_429_in_chinese_and_logs_nothing(network, client_at, small_budgets):
    point = network.village
    client, me, other = client_at(point), address(), address()
    for q in ("低保", "结婚登记"):
        assert client.get("/api/search", {"q": q}, REMOTE_ADDR=me).status_code == 200
    assert client.get("/search/", {"q": "身份证"}, REMOTE_ADDR=me).status_code == 200  # the page shares the budget
    assert logged(point) == 3

    api = client.get("/api/search", {"q": "低保"}, REMOTE_ADDR=me)
    assert api.status_code == 429
    assert api["Content-Type"].startswith("application/json")
    message = json.loads(api.content)["error"]["message"]
    assert CHINESE in message and api["Retry-After"] in message
    assert 1 <= int(api["Retry-After"]) <= 24 * 3600
    page = client.get("/search/", {"q": "低保"}, REMOTE_ADDR=me)
    assert page.status_code == 429 and int(page["Retry-After"]) >= 1
    assert page["Content-Type"].startswith("text/html")
    assert "请稍后再试" in page.content.decode() and CHINESE in page.content.decode()
    assert logged(point) == 3, "a refused search writes no row"

    # Another address has a budget of its own; the same address at another point has
    # not (the budget counts across the cell, else a script would walk the points).
    assert client.get("/api/search", {"q": "低保"}, REMOTE_ADDR=other).status_code == 200
    assert logged(point) == 4
    assert client_at(network.township).get("/api/search", {"q": "低保"}, REMOTE_ADDR=me).status_code == 429


def test_suggestions_and_clicks_have_budgets_of_their_own(network, client_at, small_budgets):
    point = network.county
    client, me = client_at(point), address()
    for _ in range(4):
        assert client.get("/api/search/suggest", {"q": "jiehun"}, REMOTE_ADDR=me).status_code == 200
    over = client.get("/api/search/suggest", {"q": "jiehun"}, REMOTE_ADDR=me)
    assert over.status_code == 429 and CHINESE in json.loads(over.content)["error"]["message"]
    assert client.get("/api/search", {"q": "低保"}, REMOTE_ADDR=me).status_code == 200  # searching still works

    before = clicks(point)
    for code in ("YM-MZJ-QR-001", "YM-GAJ-QR-007"):
        assert client.get(f"/search/go/{code}/", {"q": "x", "rank": "1"}, REMOTE_ADDR=me).status_code == 302
    refused = client.get("/search/go/YM-GAJ-QR-001/", {"q": "x", "rank": "1"}, REMOTE_ADDR=me)
    assert refused.status_code == 429 and CHINESE in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    assert clicks(point) == before + 2


def test_forwarded_addresses_count_only_behind_trusted_proxies(network, client_at, small_budgets, settings):
    client, proxy = client_at(network.village), address()

    def search(forwarded: str) -> int:
        return client.get("/api/search", {"q": "低保"}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded).status_code

    # No proxy trusted: a client cannot get a new budget by writing the header itself.
    settings.SIGNIN_TRUSTED_PROXIES = 0
    assert [search(address()) for _ in range(4)] == [200, 200, 200, 429]
    # One proxy trusted (the compose nginx or the ingress appends the address it saw):
    # each client behind it has its own budget, and what a client prepends is ignored.
    settings.SIGNIN_TRUSTED_PROXIES = 1
    first, second = address(), address()
    assert [search(f"{address()}, {first}") for _ in range(4)] == [200, 200, 200, 429]
    assert search(second) == 200


def test_a_repeated_click_on_a_result_counts_once(network, client_at):
    point = network.county
    before = clicks(point)
    citizen = Client(HTTP_HOST=point.primary_host, HTTP_USER_AGENT="Mozilla/5.0 citizen", REMOTE_ADDR=address())
    for _ in range(3):
        response = citizen.get("/search/go/ym-gaj-qr-007/", {"q": "身份证", "rank": "1"})
        assert response.status_code == 302 and response["Location"].endswith("/items/YM-GAJ-QR-007/")
    assert clicks(point) == before + 1
    citizen.get("/search/go/YM-MZJ-QR-001/", {"q": "结婚", "rank": "2"})  # another result
    assert clicks(point) == before + 2
    # Another browser behind the same address is another visitor.
    neighbour = Client(HTTP_HOST=point.primary_host, HTTP_USER_AGENT="Mozilla/5.0 neighbour",
                       REMOTE_ADDR=citizen.defaults["REMOTE_ADDR"])
    neighbour.get("/search/go/YM-GAJ-QR-007/", {"q": "身份证", "rank": "1"})
    assert clicks(point) == before + 3
    # A browser with a session is one visitor wherever it connects from.
    signed_in = client_at(point)
    signed_in.force_login(network.user("reader", point, "editor"))
    for _ in range(2):
        signed_in.get("/search/go/YM-MZJ-QR-001/", {"rank": "1"}, REMOTE_ADDR=address())
    assert clicks(point) == before + 4
    # A code the point does not offer redirects (to the guide's 404) and logs nothing.
    assert citizen.get("/search/go/YM-XXX-QR-999/").status_code == 302
    assert clicks(point) == before + 4
