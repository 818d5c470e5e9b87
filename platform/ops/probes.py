"""Health, readiness and metrics endpoints for orchestrators and Prometheus.

They answer only on *internal* hosts (a pod IP, a service name such as
`web:8000`, 127.0.0.1), never on a public host (the base domain, a point's
`<slug>.<base domain>` or its own government domain): the reverse proxy and
the ingress pass on only the points' hosts, so these paths are unreachable
from outside without any proxy rule, and a point's own `/metrics` page stays
a normal 404. They run before the host is validated
(kubelet probes come with the pod IP as Host, which ALLOWED_HOSTS rightly
refuses) and before the point middleware picks a schema.

  /healthz  liveness: the process answers; touches no dependency, so an
            outage of PostgreSQL does not make Kubernetes restart every pod.
  /readyz   readiness: PostgreSQL, the Celery broker and Elasticsearch, each
            with its result; HTTP 503 and the names of those that are down.
  /metrics  Prometheus text format (ops.metrics).
"""
from __future__ import annotations

import ipaddress
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse

from tenants import active_schema

CHECK_TIMEOUT_SECONDS = 3


def _is_internal_host(host: str) -> bool:
    """An IP address, or a name without a dot (`web`, `yimen-web`), or a
    cluster-internal name: what kubelet, Prometheus and compose's own health
    check send. Every public host (the base domain, its subdomains, a point's
    own government domain) has dots, and the proxy/ingress passes on no other."""
    name = host.strip()
    if name.startswith("["):  # [IPv6]:port
        name = name[1:name.find("]")] if "]" in name else name[1:]
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    name = name.lower().rstrip(".")
    return bool(name) and ("." not in name or name.endswith((".svc", ".svc.cluster.local", ".internal")))


def check_postgresql() -> str | None:
    # A hung server is caught by the probe's own timeout (infra/k8s: timeoutSeconds).
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return None


def check_broker() -> str | None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
    return None


def check_elasticsearch() -> str | None:
    url = (settings.ELASTICSEARCH_URL or "").rstrip("/")
    if not url:
        return "not configured"  # the PostgreSQL search backend is in use: nothing to check
    # /_cluster/health, not /: the integration-test distribution answers GET / with 405.
    with urllib.request.urlopen(f"{url}/_cluster/health", timeout=CHECK_TIMEOUT_SECONDS) as response:
        status = json.load(response).get("status")
    if status == "red":
        raise RuntimeError("cluster status red")
    return None


CHECKS = {
    "postgresql": check_postgresql,
    "broker": check_broker,
    "elasticsearch": check_elasticsearch,
}


def readiness() -> tuple[bool, dict]:
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            note = check()
        except Exception as exc:  # any failure means "down"; say why, briefly
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, **({"note": note} if note else {})}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    down = [name for name, result in results.items() if not result["ok"]]
    return not down, {"status": "ok" if not down else "down", "down": down, "checks": results}


class ProbeMiddleware:
    """First in MIDDLEWARE: answers the probe paths on internal hosts only."""

    PATHS = {"/healthz", "/readyz", "/metrics"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in self.PATHS or not _is_internal_host(request.META.get("HTTP_HOST", "")):
            return self.get_response(request)
        if request.path == "/healthz":
            return HttpResponse("ok\n", content_type="text/plain")
        if request.path == "/readyz":
            active_schema.switch_to_public()
            ok, body = readiness()
            return JsonResponse(body, status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
        from .metrics import metrics_response

        active_schema.switch_to_public()
        return metrics_response()
