"""The local Elasticsearch launcher really starts a node that indexes and finds Chinese text.

Needs no Django: run with `pytest -p no:django tests/test_elasticsearch_node.py`.
"""
from __future__ import annotations

import json
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from infra.local.elasticsearch import REPO_ROOT, LocalElasticsearch

pytestmark = pytest.mark.elasticsearch


@pytest.fixture(autouse=True)
def _db():
    """Replaces conftest's autouse database fixture: no Django, no database here."""
    yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_node_indexes_and_finds_chinese_text():
    # Not pytest's tmp_path: /tmp/pytest-of-root is mode 0700, and under root
    # the node runs as the service user, which could not enter it.
    data_dir = Path(tempfile.mkdtemp(prefix="yimen-es-test-"))
    node = LocalElasticsearch(REPO_ROOT / ".cache" / "elasticsearch", data_dir, _free_port())
    try:
        node.start()
        assert node.running()
        health = _call("GET", f"{node.url()}/_cluster/health")
        assert health["status"] in ("green", "yellow")

        index = f"{node.url()}/yimen-test"
        _call("PUT", index, {
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {"title": {"type": "text", "analyzer": "standard"}}},
        })
        _call("PUT", f"{index}/_doc/1?refresh=true", {"title": "市民之家办理社保卡补办"})
        # The standard analyzer splits CJK text into single characters, so any
        # of them matches.
        found = _call("POST", f"{index}/_search",
                      {"query": {"match": {"title": {"query": "社保卡", "analyzer": "standard"}}}})
        hits = found["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["1"]
        assert hits[0]["_source"]["title"] == "市民之家办理社保卡补办"
    finally:
        node.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    assert not node.running()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{node.url()}/", timeout=5)
