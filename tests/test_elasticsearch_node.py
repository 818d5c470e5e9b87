"""The local Elasticsearch launcher really starts a node that indexes and finds Chinese text.

It asks the run's node (conftest's `search_es`, started by the same launcher)
rather than a second one: half a minute of JVM start saved. That the launcher
really stops a node is proved by tests/test_search_elasticsearch.py, which
stops this node mid-run and sees search fall back to PostgreSQL.

Needs no Django: run with `pytest -p no:django tests/test_elasticsearch_node.py`.
"""
from __future__ import annotations

import json
import secrets
import urllib.request

import pytest

pytestmark = pytest.mark.elasticsearch


@pytest.fixture(autouse=True)
def _db():
    """Replaces conftest's autouse database fixture: no Django, no database here."""
    yield


def _call(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_node_indexes_and_finds_chinese_text(search_es):
    node = search_es
    assert node.running()
    health = _call("GET", f"{node.url()}/_cluster/health")
    assert health["status"] in ("green", "yellow")

    index = f"{node.url()}/yimen-launcher-test-{secrets.token_hex(3)}"
    _call("PUT", index, {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"properties": {"title": {"type": "text", "analyzer": "standard"}}},
    })
    try:
        _call("PUT", f"{index}/_doc/1?refresh=true", {"title": "市民之家办理社保卡补办"})
        # The standard analyzer splits CJK text into single characters, so any
        # of them matches.
        found = _call("POST", f"{index}/_search",
                      {"query": {"match": {"title": {"query": "社保卡", "analyzer": "standard"}}}})
        hits = found["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["1"]
        assert hits[0]["_source"]["title"] == "市民之家办理社保卡补办"
    finally:
        _call("DELETE", index)
