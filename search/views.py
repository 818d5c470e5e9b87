"""Search on a point's host: the JSON API (documented in openapi.json), the
results page (works without JavaScript), and the click redirect that feeds
the search log. Views parse and render; search.service does the work."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from tenants import scope
from tenants.links import point_url
from tenants.models import ServicePoint

from . import service
from .limits import limited, visitor
from .query import ParamError, parse, parse_click

OPENAPI = Path(__file__).with_name("openapi.json")
FACET_LABELS = {"theme": "主题", "department": "部门", "target": "服务对象", "visits": "跑动次数", "online": "网办深度"}
VISITS_LABELS = {"0": "不用跑", "1": "最多跑一次"}
BADGE_KEYS = {"最多跑一次": "visits", "零跑腿": "visits", "全程网办": "online", "即办": "instant"}
CODE_SHAPE = re.compile(r"[A-Za-z0-9-]{1,32}")  # an item code as a result link carries it (openapi.json)


def get_only(view):
    """Only GET, and 405 with Allow for any other method, as openapi.json
    declares. csrf_exempt: these views change nothing a session owns, and CSRF
    middleware would otherwise answer an undeclared method 403 before the
    view could say 405."""
    return csrf_exempt(require_GET(view))


def _point(request) -> ServicePoint:
    point = scope.current_point(request)
    if point is None:
        raise Http404("请在服务点的网址上搜索")
    return point


def _url_for(request, point: ServicePoint):
    # The point asked is the host of most results: its own instance, not a new one (~20 µs each).
    hosts = {point.slug: point_url(request, point, "")}

    def url_for(slug: str, path: str) -> str:
        if slug not in hosts:
            hosts[slug] = point_url(request, ServicePoint(slug=slug), "")
        return hosts[slug] + path

    return url_for


# Anything orjson does not write itself (Decimal, lazy text) and datetimes are written as
# Django's JsonResponse writes them.
_DJANGO_JSON = DjangoJSONEncoder().default
_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def json_response(data, status: int = 200) -> HttpResponse:
    """JsonResponse's answer (UTF-8, characters as themselves), written by
    orjson: 15 instead of 93 µs CPU for a first page of results (issue 16)."""
    return HttpResponse(orjson.dumps(data, default=_DJANGO_JSON, option=_JSON_OPTIONS),
                        content_type="application/json", status=status)


def _error(exc: ParamError) -> HttpResponse:
    return json_response({"error": {"param": exc.param, "message": exc.message}}, status=400)


@get_only
@limited("search", api=True)
def api_search(request):
    point = _point(request)
    try:
        params = parse(request.GET, empty_is_absent=False)
    except ParamError as exc:
        return _error(exc)
    return json_response(service.search(point, params, _url_for(request, point)))


@get_only
@limited("suggest", api=True)
def api_suggest(request):
    point = _point(request)
    return json_response(service.suggest(point, request.GET.get("q", ""), _url_for(request, point)))


@get_only
def openapi(request):
    return HttpResponse(OPENAPI.read_bytes(), content_type="application/json")


@get_only
@limited("click", api=False)
def click(request, code: str):
    """A result link: log the click (once per result and visitor), then go to
    the guide at the point the result named."""
    point = _point(request)
    if not CODE_SHAPE.fullmatch(code):
        raise Http404("没有这个事项")
    try:
        params = parse_click(request.GET)
    except ParamError as exc:
        return _error(exc)
    code = code.upper()
    target = scope.network(point).filter(slug=params.at or point.slug).first() or point
    service.record_click(point, params.q, code, params.rank, target=target, visitor=visitor(request))
    return HttpResponseRedirect(point_url(request, target, f"/items/{code}/"))


@get_only
@limited("search", api=False)
def results(request):
    """/search/: the form's target. Bad parameters are said on the page, with status 400."""
    point = _point(request)
    context = {"point": point, "q": request.GET.get("q", "")[:100], "answer": None, "error": None}
    status = 200
    try:
        params = parse(request.GET, require_query=False)
    except ParamError as exc:
        context["error"], status = exc.message, 400
    else:
        context["params"] = params
        context["answer_from_citizen"] = params.lat is not None  # distances from ?lat=&lng=
        if params.q:
            answer = service.search(point, params, _url_for(request, point))
            _add_links(answer, request, params)
            context["answer"] = answer
    return render(request, "search/results.html", context, status=status)


def _add_links(answer: dict, request, params) -> None:
    """Click-logging links for results, and facet links that keep the other parameters."""
    base = {k: v for k, v in request.GET.items() if k not in ("page",)}
    offset = (params.page - 1) * params.size
    for n, result in enumerate(answer["results"], start=1):
        result["link"] = f"/search/go/{result['code']}/?" + urlencode(
            {"q": params.q, "rank": offset + n, "at": result["point"]})
    answer["first_rank"] = offset + 1
    for result in answer["results"]:
        result["badge_items"] = [{"key": BADGE_KEYS.get(label, "visits"), "label": label} for label in result["badges"]]
    groups = []
    for name, rows in answer["facets"].items():
        shown = []
        for row in rows:
            selected = base.get(name) == row["value"]
            if not row["count"] and not selected:
                continue
            query = {k: v for k, v in base.items() if k != name}
            if not selected:
                query[name] = row["value"]
            label = VISITS_LABELS.get(row["value"], row["value"]) if name == "visits" else row["value"]
            shown.append({**row, "label": label, "link": "?" + urlencode(query), "selected": selected})
        if shown:
            groups.append({"name": name, "label": FACET_LABELS[name], "rows": shown})
    answer["facet_groups"] = groups
    answer["filtered"] = len(params.filters())
    pages = max(1, -(-answer["total"] // params.size))
    answer["pages"] = pages
    answer["prev_link"] = "?" + urlencode({**base, "page": params.page - 1}) if params.page > 1 else None
    answer["next_link"] = "?" + urlencode({**base, "page": params.page + 1}) if params.page < pages else None
    answer["scope_link"] = "?" + urlencode({**base, "scope": "point" if params.scope == "network" else "network"})


def load_openapi() -> dict:
    return json.loads(OPENAPI.read_text("utf-8"))
