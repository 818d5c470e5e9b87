"""The no-result help's "popular items" at a network's scale (issue 16): the
items most documents of the county have, counted the stock way (the ORM's
Count over the county's documents, one row per point and item) against
search.service's count from the network entries (search_networkentry, a few
hundred rows kept by triggers), on the county point of a kept network; the
same codes in the same order, or it fails.

    YIMEN_PORT_OFFSET=32 .venv/bin/python -m tests.bench.run_search_cpu search_popular.py
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings.bench")
REPEATS = int(os.environ.get("BENCH_POPULAR_REPEATS", "15"))


def main() -> int:
    import django

    django.setup()
    from django.db.models import Count

    from search import service
    from search.models import SearchDocument
    from tenants.models import ServicePoint

    county = ServicePoint.objects.get(slug="bench-county")
    codes = list(SearchDocument.objects.of_point(county).values_list("code", flat=True))
    documents = SearchDocument.objects.filter(county_code=county.county_code).count()

    def stock() -> list[str]:
        return list(SearchDocument.objects.filter(county_code=county.county_code, code__in=codes)
                    .values("code").annotate(n=Count("pk")).order_by("-n", "code")
                    .values_list("code", flat=True)[:20])

    def entries() -> list[str]:
        return service._most_offered(county.county_code, codes)

    if stock() != entries():
        print("FAILED: the two counts give other codes or another order")
        return 1
    took: dict[str, list[float]] = {"stock": [], "entries": []}
    for _ in range(REPEATS):  # alternated, so that the machine's moment weighs on both alike
        for name, count in (("stock", stock), ("entries", entries)):
            start = time.perf_counter()
            count()
            took[name].append((time.perf_counter() - start) * 1000)
    before, now = statistics.median(took["stock"]), statistics.median(took["entries"])
    print(f"the county's {documents} documents, {len(codes)} items at its point; median of {REPEATS} each:")
    print(f"  stock ORM count over the documents  {before:8.2f} ms")
    print(f"  network entries (search.service)    {now:8.2f} ms   {before / now:.0f}x faster, same order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
