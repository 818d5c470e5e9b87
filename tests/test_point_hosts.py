"""Which point a host names, remembered per process (tenants.middleware,
POINT_HOST_SECONDS): a change of a point or of its domains made through the
models shows on the very next request, in the process that made it."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Domain


@pytest.fixture
def remembered(settings):
    from tenants.middleware import forget_hosts

    settings.POINT_HOST_SECONDS = 60
    forget_hosts()
    yield
    forget_hosts()


def domain_lookups(client, path: str, **extra) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    return response.status_code, sum("tenants_domain" in q["sql"] for q in queries.captured_queries)


def test_a_host_is_looked_up_once_and_a_renamed_point_is_seen_at_once(remembered, network, client_at):
    client = client_at(network.township)
    assert domain_lookups(client, "/api/openapi.json") == (200, 1)
    assert domain_lookups(client, "/api/openapi.json") == (200, 0)  # remembered
    assert network.township.name in client.get("/search/", {"q": "结婚"}).content.decode()

    network.township.name = f"{network.tag}改名后的镇"
    network.township.save()
    page = client.get("/search/", {"q": "结婚"}).content.decode()
    assert f"{network.tag}改名后的镇" in page


def test_a_removed_domain_stops_answering_and_an_added_one_answers(remembered, network, client_at):
    from django.test import Client

    extra = Domain.objects.create(domain=f"{network.tag}-extra.localhost", tenant=network.village, is_primary=False)
    other = Client(HTTP_HOST=extra.domain)
    assert other.get("/api/openapi.json").status_code == 200
    assert other.get("/api/openapi.json").status_code == 200  # remembered
    extra.delete()
    assert other.get("/api/openapi.json").status_code == 404
    Domain.objects.create(domain=extra.domain, tenant=network.other_village, is_primary=False)
    status, lookups = domain_lookups(other, "/api/openapi.json")
    assert (status, lookups) == (200, 1)
