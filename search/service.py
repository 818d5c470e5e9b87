"""Searching the catalogue: the one entry point for the API, the results page,
benchmarks and tests. Backend-independent work happens here: query analysis,
the nearest accepting points (from public's adoptions), highlighting, the
no-result help and the search log."""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from rapidfuzz import fuzz, process

from standards import authority
from tenants.geo import distance_km  # the guide's 就近办 measures the same way
from tenants.models import PointStatus, ServicePoint

from . import analysis, backends, log_buffer, results_cache
from .backends.base import Scope
from .backends.prepared import Params, execute, public
from .documents import PARK_KEY
from .models import SearchClick, SearchDocument, SearchLog
from .query import MAX_RANK, SearchParams

log = logging.getLogger(__name__)
NEAREST_PER_ITEM = 3
# Digit runs that may be an ID card, phone or case number never reach the log.
_PERSONAL = re.compile(r"\d{6,}[\dxX]*")

UrlFor = Callable[[str, str], str]  # (point slug, path) → absolute URL on the point's host


def scope_for(point: ServicePoint, network: bool = False) -> Scope:
    return Scope(point_id=point.pk, schema_name=point.schema_name, county_code=point.county_code,
                 network=network, point_slug=point.slug)


def origin(point: ServicePoint, params: SearchParams) -> tuple[float | None, float | None]:
    if params.lat is not None:
        return params.lat, params.lng
    if point.latitude is None or point.longitude is None:
        return None, None
    return float(point.latitude), float(point.longitude)


def search(point: ServicePoint, params: SearchParams, url_for: UrlFor, *, log: bool = True) -> dict:
    vocab = analysis.current_vocabulary(wait=False)
    # Expanded with this point's county's synonyms and the shared ones, never another county's.
    query = analysis.analyse_query(vocab, params.q, authority.visible_codes(point))
    scope = scope_for(point, network=params.scope == "network")
    # At point scope the first page also asks the network (本点不办理): both searches
    # go to the backend together, one request to Elasticsearch (_msearch).
    asks = [(scope, params, query, True)]
    if not scope.network and params.page == 1 and not query.empty:
        asks.append((scope_for(point, network=True), elsewhere_params(params), query, False))
    answers, backend = results_cache.run(asks, vocab.stamp)
    answer = answers[0]
    lat, lng = origin(point, params)
    codes = [hit.doc["code"] for hit in answer.hits]
    nearest = nearest_points(point, codes, lat, lng) if scope.network else {}
    here_km = _distance(lat, lng, point)
    results = []
    for hit in answer.hits:
        doc = hit.doc
        name = doc["standard_name"] if scope.network else doc["name"]
        where = nearest.get(doc["code"]) or []
        first: dict[str, Any] = where[0] if where else {"slug": point.slug, "distance_km": here_km}
        results.append({
            "code": doc["code"],
            "name": name,
            "highlight": analysis.highlight(vocab, name, query),
            "point": first["slug"],
            "url": url_for(first["slug"], doc["url"]),
            "score": hit.score,
            "distance_km": first["distance_km"],
            "badges": [b["label"] for b in doc["badges"] if b.get("key") != PARK_KEY],
            "department": doc["department"],
            "nearest": [{**p, "url": url_for(p["slug"], doc["url"])} for p in where],
            # Powers delegated to parks: the park's enterprises go to the park for this item.
            "parks": [{"slug": b["slug"], "name": b["name"], "url": url_for(b["slug"], doc["url"]),
                       "note": f"{b['name']}的园区企业请到{b['name']}办理"}
                      for b in doc["badges"] if b.get("key") == PARK_KEY],
        })
    out = {"query": params.q, "total": answer.total, "backend": backend, "scope": params.scope,
           "page": params.page, "size": params.size, "results": results, "facets": answer.facets}
    if len(answers) > 1:
        best_here = answer.hits[0].score if answer.hits else 0
        out["elsewhere"] = elsewhere(point, answers[1], best_here, url_for, lat, lng)
    if answer.total == 0 and not out.get("elsewhere"):
        out["help"] = no_result_help(point, query, url_for)
    if log:
        # Written in batches a second apart, not while the citizen waits (search/log_buffer.py).
        log_buffer.add(SearchLog(point=point, query=mask(params.q)[:100], scope=params.scope, total=answer.total,
                                 backend=backend))
    return out


ELSEWHERE_LIMIT = 2


def elsewhere_params(params: SearchParams) -> SearchParams:
    """The network query of the 本点不办理 check: a few hits, the same filters."""
    return SearchParams(q=params.q, scope="network", size=ELSEWHERE_LIMIT + 3, **params.filters())


def elsewhere(point: ServicePoint, answer, best_here: float, url_for: UrlFor, lat, lng) -> list[dict]:
    """Items the point does not offer that match the query better than anything
    it does: the county network offers them, so the citizen is told "本点不办理"
    and where to go, rather than shown the point's wrong item first (a village
    benefit asked for at the county point). `answer` is the network's answer to
    elsewhere_params (asked in the same backend request as the point's page)."""
    better = [hit for hit in answer.hits if hit.score > best_here]
    if not better:
        return []
    arg = Params()  # public's documents, without the tenant's SET search_path (backends/prepared.py)
    offered = {code for (code,) in execute(
        "offered",
        f"SELECT code FROM {public('search_searchdocument')} WHERE point_id = {arg(point.pk, 'bigint')}"
        f" AND code = ANY({arg([hit.doc['code'] for hit in better], 'text[]')})", arg)}
    missing = [hit for hit in better if hit.doc["code"] not in offered][:ELSEWHERE_LIMIT]
    nearest = nearest_points(point, [hit.doc["code"] for hit in missing], lat, lng)
    out = []
    for hit in missing:
        where = nearest.get(hit.doc["code"]) or []
        if not where:
            continue
        out.append({
            "code": hit.doc["code"], "name": hit.doc["standard_name"], "note": "本点不办理",
            "department": hit.doc["department"], "score": hit.score,
            "point": where[0]["slug"], "url": url_for(where[0]["slug"], hit.doc["url"]),
            "nearest": [{**p, "url": url_for(p["slug"], hit.doc["url"])} for p in where],
        })
    return out


def suggest(point: ServicePoint, prefix: str, url_for: UrlFor, size: int = 10) -> dict:
    key = analysis.normalize(prefix).replace(" ", "")[:30]
    scope = scope_for(point)
    found, backend = backends.run("suggest", scope, key, size) if key else ([], "none")
    return {"query": prefix[:30], "backend": backend,
            "suggestions": [{**s, "url": url_for(point.slug, s["url"])} for s in found]}


def mask(text: str) -> str:
    return _PERSONAL.sub(lambda m: "*" * len(m.group()), text)


def _distance(lat, lng, point: ServicePoint) -> float | None:
    if lat is None or point.latitude is None or point.longitude is None:
        return None
    return round(distance_km(lat, lng, float(point.latitude), float(point.longitude)), 1)


def nearest_points(point: ServicePoint, codes: list[str], lat, lng) -> dict[str, list[dict]]:
    """code → the active points of the county network offering it, nearest
    first (then by region code), at most NEAREST_PER_ITEM; one statement.

    The county's active points in order of distance from the origin come from
    this process's memory (`_points_in_order`); the statement walks them in
    that order and, per code, asks each whether it adopted the item (the
    adoptions' unique index) until enough are found: a few probes per code,
    read live, so an adoption dropped a moment ago is never offered. The check
    is a scalar subquery so that it stays a filter of the ordered walk (a join
    could be reordered), and the walk stops at its LIMIT."""
    if not codes:
        return {}
    ids, km, rows = _points_in_order(point.county_code, lat, lng)
    if not km:
        return {}
    arg = Params()
    sql = f"""
        SELECT i.code, walk.id FROM {public("standards_standarditem")} i CROSS JOIN LATERAL (
            SELECT u.id, u.n FROM unnest({arg(ids, "bigint[]")}) WITH ORDINALITY u(id, n)
            WHERE (SELECT true FROM {public("standards_adoption")} a WHERE a.point_id = u.id AND a.item_id = i.id)
            LIMIT {arg(NEAREST_PER_ITEM, "int")}
        ) walk
        WHERE i.code = ANY({arg(codes, "text[]")})
        ORDER BY i.code, walk.n
    """
    out: dict[str, list[dict]] = {}
    for code, point_id in execute("nearest", sql, arg):
        distance = km[point_id]
        out.setdefault(code, []).append({**rows[point_id],
                                         "distance_km": None if distance is None else round(distance, 1)})
    return out


# The county's active points (tenants_servicepoint), remembered per process for POINT_HOST_SECONDS as
# the point of a host is (tenants.middleware): saving or deleting a point forgets them at once in the
# process that did it; other processes, and changes made by update() or SQL, within those seconds.
# Reading them and putting them in order of distance was most of a network answer's 2.6 ms of
# PostgreSQL at 1,000 points (a distance for every point in SQL, then a sort). Each county's entry
# keeps its orders by origin too: a point's own place, mostly; a citizen's position, at most
# ORIGINS_KEPT (each order holds a distance per point: ~100 KB at 1,000 points).
_counties: dict[str, tuple[float, list[dict], dict[int, dict], dict]] = {}  # county → (valid until,
# points, the fields a result shows by point id, origin → order)
_counties_lock = threading.Lock()
_counties_forgotten = [0]
ORIGINS_KEPT = 64


def forget_points(**_kwargs) -> None:
    with _counties_lock:
        _counties.clear()
        _counties_forgotten[0] += 1


post_save.connect(forget_points, sender=ServicePoint, dispatch_uid="search-forget-points-save")
post_delete.connect(forget_points, sender=ServicePoint, dispatch_uid="search-forget-points-delete")


def _county_points(county_code: str) -> tuple[list[dict], dict[int, dict], dict]:
    seconds = settings.POINT_HOST_SECONDS
    known = _counties.get(county_code) if seconds else None
    if known is not None and known[0] > time.monotonic():
        return known[1], known[2], known[3]
    before = _counties_forgotten[0]
    arg = Params()
    sql = f"""
        SELECT id, slug, name, tier, address, phone, region_code, latitude::float, longitude::float
        FROM {public("tenants_servicepoint")}
        WHERE region_code LIKE {arg(county_code + "%", "text")} AND status = {arg(PointStatus.ACTIVE, "text")}
    """
    tiers = dict(ServicePoint._meta.get_field("tier").choices)
    points = [{"id": pk, "slug": slug, "name": name, "tier": tiers.get(tier, tier), "address": address,
               "phone": phone, "region_code": region, "lat": plat, "lng": plng}
              for pk, slug, name, tier, address, phone, region, plat, plng in execute("points", sql, arg)]
    rows = {p["id"]: {name: p[name] for name in ("slug", "name", "tier", "address", "phone")} for p in points}
    orders: dict = {}
    with _counties_lock:
        if seconds and _counties_forgotten[0] == before:
            _counties[county_code] = (time.monotonic() + seconds, points, rows, orders)
    return points, rows, orders


def _points_in_order(county_code: str, lat, lng) -> tuple[str, dict[int, float | None], dict[int, dict]]:
    """The county's active points nearest first (without an origin: by region code) as an array
    literal of their ids (one string to send, not a list of 1,000 numbers to adapt), with their
    distances and the fields a result shows."""
    points, rows, orders = _county_points(county_code)
    key = (lat, lng)
    found = orders.get(key)
    if found is None:
        km = {p["id"]: None if lat is None or p["lat"] is None or p["lng"] is None
              else distance_km(float(lat), float(lng), p["lat"], p["lng"]) for p in points}
        ordered = sorted(points, key=lambda p: (km[p["id"]] is None, km[p["id"]] or 0.0, p["region_code"]))
        found = ("{" + ",".join(str(p["id"]) for p in ordered) + "}", km)
        if len(orders) >= ORIGINS_KEPT:
            orders.clear()
        orders[key] = found
    return found[0], found[1], rows


def no_result_help(point: ServicePoint, query: analysis.AnalysedQuery, url_for: UrlFor) -> dict:
    """The point's items closest to what was typed, and the ones most looked for."""
    docs = list(SearchDocument.objects.of_point(point)
                .values("code", "name", "url", "suggest_name", "suggest_alias"))
    choices = {}
    for doc in docs:
        for key in doc["suggest_name"] + doc["suggest_alias"]:
            choices[(doc["code"], key)] = key
    closest, seen = [], set()
    if query.text and choices:
        found = process.extract(query.text.replace(" ", ""), choices, scorer=fuzz.WRatio, limit=30,
                                score_cutoff=50)
        by_code = {doc["code"]: doc for doc in docs}
        for _key, _score, (code, _k) in found:
            if code not in seen:
                seen.add(code)
                closest.append(by_code[code])
            if len(closest) == 5:
                break
    return {
        "closest": [{"code": d["code"], "name": d["name"], "url": url_for(point.slug, d["url"])} for d in closest],
        "popular": popular(point, url_for, exclude=seen, docs=docs),
    }


def popular(point: ServicePoint, url_for: UrlFor, exclude=(), limit: int = 5,
            docs: list[dict] | None = None) -> list[dict]:
    """Most clicked at this point in the last 30 days; filled up with the items
    most points of the network offer. `docs`: the point's documents (code, name,
    url), when the caller has read them already (a search that found nothing read
    them twice: 223 rows, a twentieth of its CPU in a profile)."""
    since = timezone.now() - timedelta(days=30)
    ranked = list(SearchClick.objects.of_point(point).filter(created_at__gte=since).values("code")
                  .annotate(n=Count("pk")).order_by("-n", "code").values_list("code", flat=True)[:20])
    if docs is None:
        docs = list(SearchDocument.objects.of_point(point).values("code", "name", "url"))
    by_code = {d["code"]: d for d in docs}
    if len(ranked) < limit:
        ranked += [c for c in _most_offered(point.county_code, list(by_code)) if c not in ranked]
    picked = [by_code[c] for c in ranked if c in by_code and c not in exclude][:limit]
    return [{"code": d["code"], "name": d["name"], "url": url_for(point.slug, d["url"])} for d in picked]


def _most_offered(county_code: str, codes: list[str], limit: int = 20) -> list[str]:
    """Of these codes, those most documents of the county have. Counted from the network
    entries (search_networkentry: a county's documents grouped, each group's count kept by
    triggers), a few hundred rows: counting the documents themselves read one row per point
    and item, 133 ms at 1,000 points for every search that found nothing (issue 16)."""
    arg = Params()
    return [code for (code,) in execute(
        "most_offered",
        f"SELECT code FROM {public('search_networkentry')} WHERE county_code = {arg(county_code, 'text')}"
        f" AND code = ANY({arg(codes, 'text[]')}) GROUP BY code ORDER BY sum(n) DESC, code"
        f" LIMIT {arg(limit, 'int')}", arg)]


def record_click(point: ServicePoint, query: str, code: str, rank: int, *,
                 target: ServicePoint | None = None, visitor: str | None = None) -> bool:
    """Log a click at `point` on a result that opens `code` at `target` (by
    default `point` itself): only for an item `target` offers, so made-up codes
    add no rows, and once per result and visitor (a keyed hash,
    search.limits.visitor) within SEARCH_CLICK_ONCE_SECONDS, so reloading or
    clicking it again adds nothing. True if a row was written."""
    if not SearchDocument.objects.of_point(target or point).filter(code=code).exists():
        return False
    if visitor is not None and not _first_click(f"search:click:{point.schema_name}:{code}:{visitor}"):
        return False
    SearchClick.objects.create(point=point, query=mask(query)[:100], code=code[:32], rank=max(0, min(rank, MAX_RANK)))
    return True


def _first_click(key: str) -> bool:
    try:
        return caches[settings.RATELIMIT_USE_CACHE].add(key, 1, settings.SEARCH_CLICK_ONCE_SECONDS)
    except Exception:  # the cache backend's connection errors: count it rather than lose the redirect
        log.warning("click not checked for repeats: the cache is unreachable", exc_info=True)
        return True
