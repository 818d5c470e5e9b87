"""The search API a citizen's browser and outside systems use, on the
PostgreSQL backend (the embedded default): what it finds, its shape (checked
against the OpenAPI schema), filters and facets, the nearest accepting point
for network searches, suggestions, the no-result help, clear 400s, and that no
query of any length or character set gives a 500."""
from __future__ import annotations

import json
from urllib.parse import quote_plus

import jsonschema
import pytest
from django_tenants.utils import tenant_context

from search.models import SearchClick, SearchLog
from search.views import load_openapi
from tenants.models import ServicePoint
from tests.facets import counts, recount

SCHEMA = load_openapi()




def check(body: dict, name: str) -> dict:
    resolver_schema = {**SCHEMA["components"]["schemas"][name], "components": SCHEMA["components"]}
    jsonschema.validate(body, resolver_schema)
    return body


def get(client, path, **params):
    response = client.get(path, params)
    return response, (json.loads(response.content) if response["Content-Type"].startswith("application/json")
                      else None)


@pytest.fixture(scope="module")
def indexed(django_db_setup, django_db_blocker):
    """One county network for the module (onboarding six points takes seconds)."""
    from tests.conftest import Network

    with django_db_blocker.unblock():
        network = Network()
        network.index()
    return network


def codes(body):
    return [r["code"] for r in body["results"]]


def test_point_search_finds_official_everyday_pinyin_initials_and_mixed(indexed, client_at):
    client = client_at(indexed.county)
    for q, expected in [("居民身份证换领", "YM-GAJ-QR-007"), ("身份证过期", "YM-GAJ-QR-007"),
                        ("jiehundengji", "YM-MZJ-QR-001"), ("jie hun deng ji", "YM-MZJ-QR-001"),
                        ("结hun登记", "YM-MZJ-QR-001"), ("上户口", "YM-GAJ-QR-001")]:
        response, body = get(client, "/api/search", q=q)
        assert response.status_code == 200, (q, body)
        check(body, "SearchAnswer")
        assert body["backend"] == "postgres"
        assert body["results"], q
        assert body["results"][0]["code"] == expected, (q, codes(body)[:5])
        first = body["results"][0]
        assert first["point"] == indexed.county.slug
        assert first["url"].endswith(f"/items/{expected}/")
        assert indexed.county.primary_host in first["url"]
    response, body = get(client, "/api/search", q="sfz")
    assert set(codes(body)[:3]) & {"YM-GAJ-QR-006", "YM-GAJ-QR-007", "YM-GAJ-QR-008"}


def test_results_carry_badges_department_and_highlight(indexed, client_at):
    _, body = get(client_at(indexed.county), "/api/search", q="结婚登记")
    first = body["results"][0]
    assert first["department"] == "民政局"
    assert first["highlight"] == "<mark>结婚登记</mark>"
    _, body = get(client_at(indexed.county), "/api/search", q="结婚")
    assert "<mark>结婚</mark>" in body["results"][0]["highlight"]
    from standards.models import StandardItem

    content = StandardItem.objects.get(code=first["code"]).current.content
    from standards import elements

    assert first["badges"] == [b.label for b in elements.badges(content)]


def test_filters_and_facets_count_items(indexed, client_at):
    client = client_at(indexed.county)
    _, everything = get(client, "/api/search", q="登记", size=50)
    assert everything["total"] > 5
    facets = everything["facets"]
    assert set(facets) == {"theme", "department", "target", "visits", "online"}
    departments = {row["value"]: row["count"] for row in facets["department"]}
    assert sum(departments.values()) == everything["total"]
    department, count = max(departments.items(), key=lambda kv: kv[1])
    _, filtered = get(client, "/api/search", q="登记", department=department, size=50)
    assert filtered["total"] == count
    assert {r["department"] for r in filtered["results"]} == {department}
    zero = {row["value"]: row["count"] for row in facets["visits"]}["0"]
    _, no_visit = get(client, "/api/search", q="登记", visits="0", size=50)
    assert no_visit["total"] == zero
    assert all("最多跑一次" not in r["badges"] for r in no_visit["results"])


def test_facets_ignore_their_own_filter_and_keep_the_others(indexed, client_at):
    """Choosing a department still shows every department's count (as before
    choosing), and the other facets count within the chosen department; every
    count is what choosing that value would find."""
    client = client_at(indexed.county)

    def search(**params):
        _, body = get(client, "/api/search", q="登记", size=50, **params)
        check(body, "SearchAnswer")
        return body["total"], body["facets"]

    total, everything = search()
    department, count = max(counts(everything, "department").items(), key=lambda kv: kv[1])
    assert len(everything["department"]) >= 3 and count < total
    total, chosen = search(department=department)
    assert total == count
    assert chosen["department"] == everything["department"]  # the others stay, with their counts
    assert sum(counts(chosen, "target").values()) >= total
    assert counts(chosen, "visits")["1"] <= total  # the other facets count inside the department
    for scope, filters in (("point", {"department": department, "visits": "0"}),
                           ("network", {"theme": everything["theme"][0]["value"], "target": "个人"})):
        assert recount(lambda s=scope, **p: search(scope=s, **p), **filters) == [], (scope, filters)


def test_the_document_lists_exactly_the_themes_the_api_accepts():
    from standards import elements

    theme = next(p for p in SCHEMA["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "theme")
    assert theme["schema"]["enum"] == list(elements.THEMES)


def test_a_chosen_filter_that_leaves_nothing_stays_on_the_page_to_undo(indexed, client_at):
    client = client_at(indexed.county)
    _, body = get(client, "/api/search", q="登记", size=50)
    departments = counts(body["facets"], "department")
    # A department with no item that needs no visit: choosing both leaves nothing.
    empty = next(d for d in sorted(departments)
                 if get(client, "/api/search", q="登记", department=d, visits="0")[1]["total"] == 0)
    _, none = get(client, "/api/search", q="登记", department=empty, visits="0")
    assert counts(none["facets"], "department")[empty] == 0  # listed, though 0
    html = client.get("/search/", {"q": "登记", "department": empty, "visits": "0"}).content.decode()
    assert "已选 2 项" in html
    assert html.count('aria-current="true"') == 2
    assert "所选条件下没有相关事项" in html
    others = [d for d, n in counts(none["facets"], "department").items() if n]
    assert others and f">{others[0]} <span class=\"count\">" in html  # other departments, choosable


def test_network_scope_gives_each_item_once_with_its_nearest_point(indexed, client_at):
    # The village offers 42 items, the county 210: 出生登记 is county and township only.
    ServicePoint.objects.filter(pk=indexed.township.pk).update(latitude=28.30, longitude=112.60)
    ServicePoint.objects.filter(pk=indexed.other_township.pk).update(latitude=28.10, longitude=112.60)
    ServicePoint.objects.filter(pk=indexed.county.pk).update(latitude=28.20, longitude=112.60)
    client = client_at(indexed.village)
    _, point = get(client, "/api/search", q="出生登记")
    assert "YM-GAJ-QR-001" not in codes(point)
    _, network = get(client, "/api/search", q="出生登记", scope="network", lat="28.29", lng="112.60")
    check(network, "SearchAnswer")
    assert codes(network).count("YM-GAJ-QR-001") == 1
    first = network["results"][codes(network).index("YM-GAJ-QR-001")]
    assert first["point"] == indexed.township.slug
    assert first["distance_km"] == pytest.approx(1.1, abs=0.1)
    assert [p["slug"] for p in first["nearest"]] == [indexed.township.slug, indexed.county.slug,
                                                     indexed.other_township.slug]
    assert first["url"].startswith(f"http://{indexed.township.primary_host}")
    _, south = get(client, "/api/search", q="出生登记", scope="network", lat="28.11", lng="112.60")
    assert south["results"][codes(south).index("YM-GAJ-QR-001")]["point"] == indexed.other_township.slug


def test_suggestions_while_typing(indexed, client_at):
    client = client_at(indexed.county)
    for prefix in ("结婚", "jiehun", "jhdj"):
        response, body = get(client, "/api/search/suggest", q=prefix)
        assert response.status_code == 200
        check(body, "Suggestions")
        assert "结婚登记" in [s["name"] for s in body["suggestions"]], prefix
        assert len(body["suggestions"]) <= 10
    _, body = get(client, "/api/search/suggest", q="")
    assert body["suggestions"] == []


def test_no_result_says_so_and_helps(indexed, client_at):
    client = client_at(indexed.county)
    _, body = get(client, "/api/search", q="量子纠缠")
    assert body["total"] == 0 and body["results"] == []
    check(body, "SearchAnswer")
    assert body["help"]["popular"], "popular items are offered"


def test_no_result_help_offers_first_what_most_points_of_the_county_offer(indexed):
    """The popular list is filled from the items most of the county's points offer, counted
    from the network entries: the same order as counting the county's documents one by one."""
    from django.db.models import Count

    from search import service
    from search.models import SearchDocument

    county = indexed.county
    codes = list(SearchDocument.objects.of_point(county).values_list("code", flat=True))
    counted = (SearchDocument.objects.filter(county_code=county.county_code, code__in=codes)
               .values("code").annotate(n=Count("pk")).order_by("-n", "code"))
    assert len({row["n"] for row in counted}) > 1, "the network's points offer different items"
    assert service._most_offered(county.county_code, codes) == [row["code"] for row in counted][:20]


@pytest.mark.parametrize("params, param", [
    ({}, "q"), ({"q": " "}, "q"), ({"q": "低保", "scope": "world"}, "scope"),
    ({"q": "低保", "lat": "28.2"}, "lng"), ({"q": "低保", "lat": "abc", "lng": "1"}, "lat"),
    ({"q": "低保", "lat": "91", "lng": "1"}, "lat"), ({"q": "低保", "page": "0"}, "page"),
    ({"q": "低保", "size": "500"}, "size"), ({"q": "低保", "theme": "不存在"}, "theme"),
    ({"q": "低保", "target": "外星人"}, "target"), ({"q": "低保", "visits": "3"}, "visits"),
    ({"q": "低保", "online": "随便"}, "online"), ({"q": "低保", "page": "x"}, "page"),
    # An empty value is none of openapi.json's values (the fuzzer's find: `online=` answered 200).
    ({"q": "低保", "online": ""}, "online"), ({"q": "低保", "scope": ""}, "scope"), ({"q": "低保", "size": ""}, "size"),
])
def test_bad_parameters_get_a_clear_400_and_log_nothing(indexed, client_at, params, param):
    before = SearchLog.objects.filter(point=indexed.county).count()
    response, body = get(client_at(indexed.county), "/api/search", **params)
    assert response.status_code == 400
    check(body, "Error")
    assert body["error"]["param"] == param
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])
    assert SearchLog.objects.filter(point=indexed.county).count() == before


@pytest.mark.parametrize("q", [
    "身" * 5000, "a" * 10000, "💥🔥" * 50, "'; DROP TABLE search_searchdocument; --", "%_%\\", "\u202e\u200b",
    "\x00\x01\x02", "\ud800", "ｓｆｚ", "１２３", "Robert'); --", "身份证" + "x" * 300, "<script>alert(1)</script>",
    "* OR 1=1", "{\"query\": {}}", "\\u0000", " " * 100, "ㄅㄆㄇ", "한국어", "абв",
])
def test_no_query_gives_a_500(indexed, client_at, q):
    client = client_at(indexed.county)
    # Percent-encoded by hand: a lone surrogate arrives as bytes that are not UTF-8.
    encoded = "q=" + quote_plus(q.encode("utf-8", "surrogatepass"))
    for path in ("/api/search", "/api/search/suggest", "/search/"):
        response = client.get(f"{path}?{encoded}")
        assert response.status_code in (200, 400), (path, q[:20], response.status_code)
    assert b"<script>alert(1)" not in response.content


def test_search_log_masks_personal_numbers_and_clicks_redirect(indexed, client_at):
    client = client_at(indexed.county)
    get(client, "/api/search", q="身份证 430101199001011234")
    logged = SearchLog.objects.filter(point=indexed.county).latest("pk")
    assert "1990" not in logged.query and "身份证" in logged.query
    response = client.get("/search/go/YM-GAJ-QR-007/", {"q": "身份证", "rank": "2"})
    assert response.status_code == 302
    assert response["Location"].endswith("/items/YM-GAJ-QR-007/")
    click = SearchClick.objects.filter(point=indexed.county).latest("pk")
    assert (click.code, click.rank, click.query) == ("YM-GAJ-QR-007", 2, "身份证")


@pytest.mark.parametrize("rank", ["null", "x", "1.5", "0", "5001"])
def test_a_click_with_a_bad_rank_gets_400_and_logs_nothing(indexed, client_at, rank):
    before = SearchClick.objects.filter(point=indexed.county).count()
    response, body = get(client_at(indexed.county), "/search/go/YM-GAJ-QR-007/", q="身份证", rank=rank)
    assert response.status_code == 400
    check(body, "Error")
    assert body["error"]["param"] == "rank"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])
    assert SearchClick.objects.filter(point=indexed.county).count() == before


def test_a_method_the_api_does_not_declare_gets_405_with_allow(indexed):
    """Not CSRF's 403: the test client enforces CSRF here as a real browser's request meets it."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_HOST=indexed.county.primary_host)
    for path in ("/api/search", "/api/search/suggest", "/api/openapi.json", "/search/go/YM-GAJ-QR-007/", "/search/"):
        for method in ("POST", "PUT", "PATCH", "DELETE", "QUERY"):
            response = client.generic(method, path)
            assert (response.status_code, response.get("Allow")) == (405, "GET"), (method, path)


def test_a_point_never_sees_another_points_catalogue(indexed, client_at, make_item):
    """Isolation: a renamed guide at one point is found there and nowhere else;
    network search stays inside the county."""
    from tests.conftest import Network

    elsewhere = Network()  # another county, made before the item (onboarding adopts what exists)
    elsewhere.index()
    version = make_item(adopt_at=[indexed.village], name="独有测试事项甲",
                        accept_tiers=["county", "township", "village"])
    indexed.index()
    _, here = get(client_at(indexed.village), "/api/search", q="独有测试事项甲")
    assert codes(here)[:1] == [version.code]
    _, there = get(client_at(indexed.other_village), "/api/search", q="独有测试事项甲")
    assert version.code not in codes(there)
    _, network = get(client_at(indexed.other_village), "/api/search", q="独有测试事项甲", scope="network")
    assert codes(network)[:1] == [version.code]
    indexed.index()
    _, other_county = get(client_at(elsewhere.village), "/api/search", q="独有测试事项甲", scope="network")
    assert version.code not in codes(other_county)
    with tenant_context(indexed.village):
        from cms.models import ItemGuidePage

        page = ItemGuidePage.objects.get(code=version.code)
        page.title = "本村改名的事项乙"
        page.save_revision().publish()
    indexed.index()
    _, renamed = get(client_at(indexed.village), "/api/search", q="本村改名的事项乙")
    assert codes(renamed)[:1] == [version.code]
    assert renamed["results"][0]["name"] == "本村改名的事项乙"
    _, not_there = get(client_at(indexed.county), "/api/search", q="本村改名的事项乙")
    assert version.code not in codes(not_there)
