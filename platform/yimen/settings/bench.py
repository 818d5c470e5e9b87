"""Benchmarks (tests/bench): test settings plus a tenant app whose next
migration adds a nullable field (BENCH_MIGRATIONS=next switches to it), and
Wagtail's stock search as an endpoint for bench_search (BENCH_STOCK_SEARCH=1)."""
import os

from .test import *  # noqa: F401,F403
from .test import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = TENANT_APPS + ["tests.bench.benchapp"]
INSTALLED_APPS = INSTALLED_APPS + ["tests.bench.benchapp"]
MIGRATION_MODULES = {
    "benchapp": "tests.bench.benchapp.migrations_next"
    if os.environ.get("BENCH_MIGRATIONS") == "next" else "tests.bench.benchapp.migrations",
}

# bench_search: Wagtail's stock search as a JSON endpoint on the points' hosts
# (tests/bench/search_urls.py), for the servers that benchmark starts.
if os.environ.get("BENCH_STOCK_SEARCH") == "1":
    ROOT_URLCONF = "tests.bench.search_urls"

# bench_search runs wrk from loopback at thousands of searches a minute: the
# search budgets stay on (their Redis round trip is part of what is measured)
# but far above what wrk can send, and loopback is not exempt as in tests.
SEARCH_RATE_EXEMPT = []
SEARCH_RATE_LIMITS = {"search": "10000000/m", "suggest": "10000000/m", "click": "10000000/m"}
# Search as in production, not as in tests: backend answers cached (the cold mix of
# bench_search never repeats a query, so it is measured without them) and the search
# log written in batches.
SEARCH_RESULT_CACHE_SECONDS = 60
SEARCH_LOG_FLUSH_SECONDS = 1.0
POINT_HOST_SECONDS = 5.0  # a host's point remembered per process, as in production (tenants.middleware)
