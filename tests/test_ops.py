"""What an operator's tools see: liveness, readiness naming what is down,
Prometheus metrics, and hosts allowed from the points' domains."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from ops.hosts import PointHosts
from ops.jsonlog import JSONFormatter
from tenants.models import Domain
from tests.conftest import ROOT, child_env, free_port

INTERNAL = "10.0.3.7:8000"  # a pod IP, as kubelet and Prometheus send it


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): its tests only read it
    (a domain added is removed again)."""
    return shared_network


def _internal(path: str):
    return Client(HTTP_HOST=INTERNAL).get(path)


def test_liveness_answers_on_an_internal_host_only(network, client_at):
    response = _internal("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    # On a point's public host the paths are ordinary (missing) pages.
    for path in ("/healthz", "/readyz", "/metrics"):
        response = client_at(network.village).get(path, follow=True)
        assert response.status_code == 404, path


@pytest.mark.parametrize("host, internal", [
    ("10.0.3.7:8000", True), ("127.0.0.1", True), ("[fd00::7]:8000", True), ("web:8000", True),
    ("yimen-web.yimen.svc.cluster.local", True),
    ("zwfw.yunxi.gov.cn", False), ("jinxi.zwfw.yunxi.gov.cn:443", False),
    ("zwfw.wenchang.gov.cn", False), ("", False),  # a point's own domain; no host at all
])
def test_probes_tell_internal_hosts_from_public_ones(host, internal):
    from ops.probes import _is_internal_host

    assert _is_internal_host(host) is internal


def test_readiness_checks_every_dependency():
    response = _internal("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["down"] == []
    assert body["checks"]["postgresql"]["ok"] and body["checks"]["broker"]["ok"]
    # No ELASTICSEARCH_URL: search runs on PostgreSQL, nothing to be down.
    assert body["checks"]["elasticsearch"] == {"ok": True, "note": "not configured",
                                               "ms": body["checks"]["elasticsearch"]["ms"]}


def test_readiness_names_the_broker_and_elasticsearch_when_they_are_down():
    closed = f"127.0.0.1:{free_port()}"
    with override_settings(CELERY_BROKER_URL=f"redis://{closed}/0", ELASTICSEARCH_URL=f"http://{closed}"):
        response = _internal("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "down" and body["down"] == ["broker", "elasticsearch"]
    assert body["checks"]["postgresql"]["ok"]
    assert "rror" in body["checks"]["broker"]["error"] or "refused" in body["checks"]["broker"]["error"]


def test_readiness_names_postgresql_when_it_is_down():
    """A web process whose database is unreachable (a process of its own: the
    suite's connection must stay up)."""
    env = {**child_env(), "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/yimen"}
    script = ("import django, json; django.setup(); from django.test import Client; "
              "r = Client(HTTP_HOST='web:8000').get('/readyz'); print(r.status_code, json.dumps(r.json()))")
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503" and json.loads(body)["down"] == ["postgresql"]


@pytest.mark.elasticsearch
def test_readiness_sees_a_running_elasticsearch_node(search_es):
    with override_settings(ELASTICSEARCH_URL=search_es.url()):
        response = _internal("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["elasticsearch"]["ok"]
    assert "note" not in response.json()["checks"]["elasticsearch"]


def _sample(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    assert name in text, f"{name} not in metrics"
    return 0.0  # a label combination appears with its first sample


def test_metrics_count_requests_and_points(network, client_at):
    before = _internal("/metrics").content.decode()
    start_ok = _sample(before, "yimen_http_requests_total", method="GET", status="2xx")
    start_missing = _sample(before, "yimen_http_requests_total", method="GET", status="4xx")
    assert client_at(network.village).get("/").status_code == 200
    assert client_at(network.village).get("/no-such-page/").status_code == 404
    after = _internal("/metrics")
    assert after["Content-Type"].startswith("text/plain")
    text = after.content.decode()
    assert _sample(text, "yimen_http_requests_total", method="GET", status="2xx") == start_ok + 1
    assert _sample(text, "yimen_http_requests_total", method="GET", status="4xx") == start_missing + 1
    assert _sample(text, "yimen_service_points", tier="village", status="active") >= 2
    assert "yimen_http_request_duration_seconds_bucket" in text


def test_hosts_come_from_the_points_domains(network):
    village = network.village
    own = "zwfw.wenchang-example.gov.cn"
    hosts = PointHosts(["localhost", ".localhost"])
    with override_settings(ALLOWED_HOSTS=hosts):
        # Refused hosts are a 404 (django-tenants turns DisallowedHost into one).
        assert Client(HTTP_HOST=own).get("/").status_code == 404  # not a domain of any point yet
        Domain.objects.create(domain=own, tenant=village, is_primary=False)
        hosts.refresh()  # in production: within a minute
        page = Client(HTTP_HOST=own).get("/")
        assert page.status_code == 200 and village.name in page.content.decode()
        assert Client(HTTP_HOST=village.primary_host).get("/").status_code == 200
        assert Client(HTTP_HOST="evil.example.com").get("/").status_code == 404
        Domain.objects.filter(domain=own).delete()
        hosts.refresh()
        assert Client(HTTP_HOST=own).get("/").status_code == 404


def test_json_log_lines_carry_level_schema_and_traceback(network):
    from django_tenants.utils import tenant_context

    formatter = JSONFormatter()
    with tenant_context(network.village):
        try:
            raise ValueError("材料不全")
        except ValueError:
            record = logging.getLogger("yimen.test").makeRecord(
                "yimen.test", logging.ERROR, __file__, 1, "受理失败：%s", ("社保卡",), sys.exc_info())
        line = formatter.format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "ERROR" and entry["message"] == "受理失败：社保卡"
    assert entry["schema"] == network.village.schema_name
    assert "ValueError: 材料不全" in entry["exception"]
