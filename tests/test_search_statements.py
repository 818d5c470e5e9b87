"""How PostgreSQL search talks to the database (issue 16) must never change what
a citizen sees: a search's statement is planned once per connection and shape
and runs without the tenant's `SET search_path`, yet the point's own schema is
what the request reads next, also inside a transaction; statements dropped
behind Django's back are made again; and the nearest accepting points, now read
from a per-process list of the county's points, follow a suspended point and a
dropped adoption at once. A search's term sets are scored from postings kept
by triggers: they follow every change of the sets."""
from __future__ import annotations

from contextlib import nullcontext

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from search import service
from search.query import parse
from tenants.geo import distance_km
from tenants.models import PointStatus, ServicePoint

CODE = "YM-MZJ-JF-001"  # 最低生活保障审核确认 (低保)


@pytest.fixture(scope="module")
def indexed(shared_network, django_db_blocker):
    with django_db_blocker.unblock():
        shared_network.index()
    return shared_network


def search(point, q, **params):
    return service.search(point, parse({"q": q, **params}), lambda slug, path: path, log=False)


def codes(answer):
    return [r["code"] for r in answer["results"]]


def test_searches_of_one_shape_run_one_statement_planned_once(indexed):
    assert CODE in codes(search(indexed.village, "低保"))
    with CaptureQueriesContext(connection) as asked:
        answer = search(indexed.village, "最低生活保障")  # other words, the same shape
    assert CODE in codes(answer)
    [statement] = [q["sql"] for q in asked.captured_queries]
    assert "EXECUTE search_find_" in statement and "PREPARE" not in statement


def test_a_search_request_sends_no_search_path_before_its_statement(indexed, client_at, settings):
    settings.POINT_HOST_SECONDS = 60  # the host's point remembered, as in production (no domain query)
    client = client_at(indexed.village)
    client.get("/api/search", {"q": "低保"})
    for scope in ("point", "network"):
        with CaptureQueriesContext(connection) as asked:
            response = client.get("/api/search", {"q": "低保", "scope": scope})
        assert response.status_code == 200 and CODE in codes(response.json())
        first = asked.captured_queries[0]["sql"]
        assert "EXECUTE search_find_" in first, first  # no django-tenants SET search_path first


@pytest.mark.parametrize("atomic", [False, True])
def test_the_points_schema_is_what_the_request_reads_after_a_search(indexed, atomic):
    point = indexed.village
    with tenant_context(point), (transaction.atomic() if atomic else nullcontext()):
        with connection.cursor() as cursor:  # the point's search path set, as for any ORM query
            cursor.execute("SELECT current_schema()")
            assert cursor.fetchone()[0] == point.schema_name
        assert CODE in codes(search(point, "低保"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            assert cursor.fetchone()[0] == point.schema_name


def test_statements_dropped_behind_djangos_back_are_prepared_again(indexed):
    before = search(indexed.village, "低保")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a connection pooler's reset would
    assert search(indexed.village, "低保") == before
    assert search(indexed.village, "低保", scope="network")["results"]


def expected_nearest(network, code: str, lat: float | None, lng: float | None) -> list[str]:
    """The rule, written plainly: the county's active points that adopted the item, nearest
    first (without an origin, none is nearer), then by region code; three at most."""
    from standards.models import Adoption

    offering = set(Adoption.objects.filter(item__code=code).values_list("point_id", flat=True))
    points = [p for p in ServicePoint.objects.filter(region_code__startswith=network.county.county_code,
                                                     status=PointStatus.ACTIVE) if p.pk in offering]

    def km(p) -> float:
        if lat is None or lng is None:
            return 0.0
        return round(distance_km(lat, lng, float(p.latitude), float(p.longitude)), 6)

    points.sort(key=lambda p: (km(p), p.region_code))
    return [p.slug for p in points[:service.NEAREST_PER_ITEM]]


def nearest(network, code: str, lat: float, lng: float) -> list[str]:
    return [p["slug"] for p in service.nearest_points(network.village, [code], lat, lng).get(code, [])]


def test_nearest_points_follow_a_suspension_and_a_dropped_adoption_at_once(network, settings):
    from cms import adoption

    settings.POINT_HOST_SECONDS = 60  # the county's points remembered, as in production
    network.index()
    ServicePoint.objects.filter(pk=network.township.pk).update(latitude=28.30, longitude=112.60)
    ServicePoint.objects.filter(pk=network.other_township.pk).update(latitude=28.10, longitude=112.60)
    service.forget_points()  # update() sends no signal: the moves above are set-up, not what is tested
    origin = (28.29, 112.60)
    first = nearest(network, CODE, *origin)
    assert first[0] == network.township.slug
    assert first == expected_nearest(network, CODE, *origin)

    township = ServicePoint.objects.get(pk=network.township.pk)
    township.status = PointStatus.SUSPENDED
    township.save()
    assert network.township.slug not in nearest(network, CODE, *origin)
    assert nearest(network, CODE, *origin) == expected_nearest(network, CODE, *origin)
    answer = search(network.village, "低保", scope="network", lat=str(origin[0]), lng=str(origin[1]))
    hit = answer["results"][codes(answer).index(CODE)]
    assert network.township.slug not in [p["slug"] for p in hit["nearest"]]

    offered = nearest(network, CODE, *origin)
    dropping = ServicePoint.objects.get(slug=offered[0])
    with tenant_context(dropping):
        adoption.drop(dropping, [CODE])
    assert dropping.slug not in nearest(network, CODE, *origin)  # adoptions are read live
    assert nearest(network, CODE, *origin) == expected_nearest(network, CODE, *origin)
    for lat, lng in ((28.2, 112.6), (28.11, 112.6), (None, None)):
        assert nearest(network, CODE, lat, lng) == expected_nearest(network, CODE, lat, lng)


def _postings_and_sets() -> tuple[set, set]:
    from search.models import SearchTermSet

    with connection.cursor() as cursor:
        cursor.execute("SELECT term, key, weight FROM public.search_termposting")
        postings = set(cursor.fetchall())
    expected = {(term, key, int(weight)) for key, weights in SearchTermSet.objects.values_list("key", "weights")
                for term, weight in weights.items()}
    return postings, expected


def test_term_postings_follow_every_change_of_the_term_sets(indexed):
    """The score of a search reads the postings, so they must be the sets' weights exactly:
    after the network's indexing, a set added (and one added again), changed and dropped."""
    from search import indexing
    from search.models import SearchTermSet

    postings, expected = _postings_and_sets()
    assert expected and postings == expected
    new = SearchTermSet(key="t" * 40, weights={"w:测试词": 3, "w:另一词": 1})
    SearchTermSet.objects.bulk_create([new, SearchTermSet.objects.exclude(key=new.key).first()],
                                      ignore_conflicts=True)  # as indexing writes them: the second exists
    postings, expected = _postings_and_sets()
    assert ("w:测试词", new.key, 3) in postings and postings == expected
    SearchTermSet.objects.filter(key=new.key).update(weights={"w:测试词": 5})
    postings, expected = _postings_and_sets()
    assert ("w:测试词", new.key, 5) in postings and postings == expected
    assert not any(key == new.key and term == "w:另一词" for term, key, _ in postings)
    assert indexing.drop_unused_term_sets() >= 1  # no document uses it
    postings, expected = _postings_and_sets()
    assert not any(key == new.key for _, key, _ in postings) and postings == expected
    assert CODE in codes(search(indexed.village, "低保"))  # still scored from the postings
