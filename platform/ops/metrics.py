"""Prometheus metrics (prometheus-client, the reference Python client).

Requests are counted by method and status class and timed by method; no label
per point: a prefecture cell has 1,500 points and per-point series would
multiply the scrape. Under gunicorn every worker is its own process, so when
PROMETHEUS_MULTIPROC_DIR is set (the container image sets it) the samples go
through prometheus-client's multiprocess files and any worker's /metrics
reports the sum of all (infra/gunicorn.conf.py clears dead workers' files).
"""
from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("yimen_http_requests_total", "HTTP requests served, by method and status class",
                   ["method", "status"])
LATENCY = Histogram("yimen_http_request_duration_seconds", "Time to answer an HTTP request", ["method"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class PointsCollector:
    """Service points by tier and status, read from the database at scrape time."""

    def collect(self):
        from django.db.models import Count

        from tenants.models import ServicePoint

        family = GaugeMetricFamily("yimen_service_points", "Service points in this cell", labels=["tier", "status"])
        rows = ServicePoint.objects.real().values("tier", "status").annotate(n=Count("pk")).order_by()
        for row in rows:
            family.add_metric([row["tier"], row["status"]], row["n"])
        yield family


def metrics_response() -> HttpResponse:
    if settings.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    points = CollectorRegistry()
    points.register(PointsCollector())
    return HttpResponse(body + generate_latest(points), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every request (right after ProbeMiddleware, so probes are not counted)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        LATENCY.labels(method).observe(time.perf_counter() - started)
        REQUESTS.labels(method, f"{response.status_code // 100}xx").inc()
        return response
