"""The points' URLs plus, for tests/bench/bench_search.py only, Wagtail's stock
search as a JSON endpoint: `/bench/stock-search?q=…&scope=point|network`.

Enabled by BENCH_STOCK_SEARCH=1 (platform/yimen/settings/bench.py); never in
production settings. scope=point searches this point's guide pages with
Wagtail's database backend; scope=network does the stock thing for a whole
network: every point of the county in turn, in its own schema, merged by
Wagtail's score (annotate_score).
"""
from __future__ import annotations

from django.http import Http404, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET
from django_tenants.utils import tenant_context

from yimen.urls_tenant import urlpatterns as point_urlpatterns

SIZE = 10


def _search(q: str) -> list[tuple[float, str]]:
    from cms.models import ItemGuidePage

    return [(page._score, page.code)
            for page in ItemGuidePage.objects.live().search(q).annotate_score("_score")[:SIZE]]


@require_GET
def stock_search(request):
    from tenants.models import PointStatus, ServicePoint

    point = getattr(request, "point", None)
    if point is None:
        raise Http404("on a point's host only")
    q = request.GET.get("q", "").strip()[:200]
    if not q:
        return JsonResponse({"error": "q"}, status=400)
    if request.GET.get("scope", "point") == "network":
        scored = []
        for other in (ServicePoint.objects.real().filter(region_code__startswith=point.region_code[:6],
                                                         status=PointStatus.ACTIVE).order_by("region_code")):
            with tenant_context(other):
                scored += _search(q)
        scored.sort(key=lambda hit: (-hit[0], hit[1]))
        codes = list(dict.fromkeys(code for _, code in scored))[:SIZE]
    else:
        codes = [code for _, code in _search(q)]
    return JsonResponse({"query": q, "backend": "wagtail-database", "codes": codes})


urlpatterns = [path("bench/stock-search", stock_search, name="bench_stock_search"), *point_urlpatterns]
