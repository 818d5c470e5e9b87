"""The app's CPU per cold search, in process (issue 16): what a search costs
the app server in Python, which holds when other work shares the machine
(throughput does not).

Django's test client sends /api/search on the county point's host of a kept
network (tests/bench/run_search_cpu.py starts its servers), queries of the
cold stream (tests/bench/search_cold.py: none repeats, so neither the
analyses nor the result cache answer), one at a time. For each scope: CPU
time (time.process_time) per request over RUNS runs of BENCH_CPU_QUERIES
queries, each run a fresh slice of the stream, and the Redis commands and SQL
statements of one request (counted over 100 more queries, apart from the
timed runs, since counting costs time).

    python -m tests.bench.search_cpu            # inside the servers' environment

BENCH_CPU_CHECKOUT names another checkout to measure (tests/bench/run_search_cpu.py
compares two): its code is imported instead of this one's.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

# The checkout measured: this file's own, or BENCH_CPU_CHECKOUT's (another commit's copy).
ROOT = Path(os.environ.get("BENCH_CPU_CHECKOUT") or Path(__file__).resolve().parents[2])
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings.bench")

QUERIES = int(os.environ.get("BENCH_CPU_QUERIES", "300"))
RUNS = int(os.environ.get("BENCH_CPU_RUNS", "3"))
SCOPES = os.environ.get("BENCH_CPU_SCOPES", "point,network").split(",")
FIRST = 1000  # where the timed slices start in the cold stream (its first queries warm the process)


def main() -> int:
    import django

    django.setup()
    from django.test import Client

    from search import results_cache
    from tenants.models import ServicePoint
    from tests.bench.search_cold import cold_queries

    county = ServicePoint.objects.get(slug="bench-county")
    # Each run asks the same slices of the stream: answers an earlier run left in the
    # result cache must not count (the outbox's counter, bumped, makes them stale).
    results_cache.bump(county.county_code)
    client = Client(HTTP_HOST=county.primary_host)
    queries = cold_queries()
    at = FIRST

    def ask(query: str, scope: str) -> None:
        response = client.get(f"/api/search?q={quote(query)}&scope={scope}")
        assert response.status_code == 200, response.status_code

    for query in queries[:50]:  # the vocabulary built, connections open
        ask(query, "point")
    print(f"checkout {ROOT} · load {os.getloadavg()[0]:.2f}")
    for scope in SCOPES:
        cpu = []
        for _ in range(RUNS):
            started = time.process_time()
            for query in queries[at:at + QUERIES]:
                ask(query, scope)
            cpu.append((time.process_time() - started) / QUERIES * 1000)
            at += QUERIES
        redis_commands, statements = _counted(ask, queries[at:at + 100], scope)
        at += 100
        print(f"  {scope}: app CPU per cold search {statistics.median(cpu):.2f} ms (median of "
              f"{', '.join(f'{c:.2f}' for c in cpu)}; {QUERIES} queries each) · per search "
              f"{redis_commands:.2f} Redis commands, {statements:.2f} SQL statements · "
              f"load {os.getloadavg()[0]:.2f}", flush=True)
    return 0


def _counted(ask, queries: list[str], scope: str) -> tuple[float, float]:
    """Redis commands and SQL statements per search over these queries."""
    import redis.client
    from django.db import connection

    counts = {"redis": 0, "sql": 0}
    execute = redis.client.Redis.execute_command

    def counted(self, *args, **kwargs):
        counts["redis"] += 1
        return execute(self, *args, **kwargs)

    def count_sql(run, sql, params, many, context):
        counts["sql"] += 1
        return run(sql, params, many, context)

    redis.client.Redis.execute_command = counted  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(count_sql):
            for query in queries:
                ask(query, scope)
    finally:
        redis.client.Redis.execute_command = execute  # type: ignore[method-assign]
    return counts["redis"] / len(queries), counts["sql"] / len(queries)


if __name__ == "__main__":
    sys.exit(main())
