"""The shared Elasticsearch index at 1,000 points: its size, and what shard
count and routing cost a search (search/README.md, "Shards and routing").

1. One county point and one township adopt the demo catalogue (every item at
   every tier); the county point's documents (search.documents, as the outbox
   stores them) are cloned for BENCH_ROUTING_POINTS points (default 1000) of
   one county: schema p0001 …, the same terms, facets and badges, so the index
   holds what 1,000 real points adopting all items would (223 × N documents).
2. The same documents go into two indexes with the production mapping: one
   primary shard, and BENCH_ROUTING_SHARDS (default 4) shards routed by the
   point's schema as search/backends/elastic.py routes them. Index size after a
   refresh and after a force merge to one segment (what the node keeps once
   merges settle), documents per shard.
3. Latency, sequential (one client, no load), of the relevance set's queries
   with the production search bodies (ElasticBackend._body: query, page,
   total, facets): at point scope routed to the point's shard and not routed
   (every shard asked), at network scope on one shard (what routing by county
   gives: a county's documents on one shard) and on all shards.
4. The network entries (search/backends/elastic_entries.py), what searches read
   since: one index of one shard, an entry per item listing the N points (the
   clones are alike, so 223 entries), routed by county. The same queries at
   point scope (filter on `points`) and network scope (collapse by code).
   Suggestions, which still read the documents, routed, at each shard count.
5. The request shape, old and new, on the one-shard index: a point's first
   page before issue 16 was two requests (the page with its facets, then the
   network's 本点不办理 check, with facets too); now one _msearch of both, the
   check without facets. And a page with a department chosen: filters in the
   query (old, the chosen facet shows only itself) against post_filter and a
   filter aggregation per facet (new, disjunctive counts).
   BENCH_ROUTING_SHAPE_ONLY=1 loads the one-shard index only and runs just this.

    BENCH_ROUTING_POINTS=1000 python3 infra/yimen.py bench bench_es_routing
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import time

from tests.bench.common import ROOT, machine, setup_django

POINTS = int(os.environ.get("BENCH_ROUTING_POINTS", "1000"))
SHARDS = int(os.environ.get("BENCH_ROUTING_SHARDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUTING_ROUNDS", "3"))
ES_PORT = 9300 + int(os.environ.get("YIMEN_PORT_OFFSET", "0") or 0)
WORK = ROOT / ".data" / "bench"


def source_documents():
    """The county point's documents, as Elasticsearch keeps them."""
    from django.core.management import call_command

    from search.backends.elastic import es_source
    from search.indexing import stored
    from search.models import SearchDocument
    from search.reindexing import reindex
    from tests.bench.bench_search import build, publish_catalogue_for_every_tier

    call_command("deploy_points", verbosity=0)
    items = publish_catalogue_for_every_tier()
    county, _took, _times = build(2)
    reindex(progress=lambda line: None)
    docs = [es_source(doc) for doc in stored(SearchDocument.objects.filter(point=county))]
    if len(docs) != items:
        raise SystemExit(f"FAILED: the county point has {len(docs)} documents, expected {items}")
    return county, docs


def clone(docs: list[dict], k: int, county_code: str) -> list[dict]:
    schema = f"p{k:04d}"
    return [{**doc, "doc_id": f"{schema}:{doc['code']}", "point_id": 100000 + k, "schema_name": schema,
             "point_slug": f"p-{k:04d}", "county_code": county_code} for doc in docs]


def load(es, name: str, shards: int, docs: list[dict], county_code: str) -> float:
    from elasticsearch import helpers

    from search.backends.elastic import MAPPINGS

    es.indices.create(index=name, mappings=MAPPINGS, settings={
        "number_of_shards": shards, "number_of_replicas": 0, "refresh_interval": "-1"})
    started = time.perf_counter()

    def actions():
        for k in range(1, POINTS + 1):
            for doc in clone(docs, k, county_code):
                yield {"_index": name, "_id": doc["doc_id"], "_routing": doc["schema_name"], "_source": doc}

    helpers.bulk(es.options(request_timeout=600), actions(), chunk_size=2000)
    es.indices.refresh(index=name)
    took = time.perf_counter() - started
    return took


def size(es, name: str) -> tuple[int, list[int]]:
    stats = es.indices.stats(index=name, metric="store,docs", level="shards")
    shards = stats["indices"][name]["shards"]
    docs = [copies[0]["docs"]["count"] for _n, copies in sorted(shards.items(), key=lambda kv: int(kv[0]))]
    return stats["indices"][name]["primaries"]["store"]["size_in_bytes"], docs


def latency(es, name: str, bodies: list[tuple[str | None, dict]], routed: bool) -> dict:
    walls, tooks, shards = [], [], set()
    for _ in range(ROUNDS):
        for routing, body in bodies:
            started = time.perf_counter()
            found = es.search(index=name, routing=routing if routed else None, **body)
            walls.append((time.perf_counter() - started) * 1000)
            tooks.append(found["took"])
            shards.add(found["_shards"]["total"])
    walls.sort()
    return {"p50": statistics.median(walls), "p95": walls[int(0.95 * (len(walls) - 1))],
            "took_p50": statistics.median(tooks), "shards": sorted(shards), "n": len(walls)}


def documents_body(scope, params, query, facets: bool = True) -> tuple[str | None, dict]:
    """The production body as it was sent to the documents' index (routed by the
    point's schema) before the entries: the same query on other filter fields."""
    from search.backends.elastic import ElasticBackend

    _routing, body = ElasticBackend()._body(scope, params, query, facets)
    where = {"county_code": scope.county_code} if scope.network else {"schema_name": scope.schema_name}
    body["query"]["bool"]["filter"][0] = {"term": where}
    return (None if scope.network else scope.schema_name), body


def load_entries(es, name: str, docs: list[dict], county_code: str) -> float:
    """The entries the outbox would compose for N alike points: one per item."""
    from elasticsearch import helpers

    from search import analysis
    from search.backends import elastic_entries

    es.indices.create(index=name, mappings=elastic_entries.MAPPINGS, settings={
        "number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"})
    schemas = [f"p{k:04d}" for k in range(1, POINTS + 1)]
    started = time.perf_counter()
    shown = ("code", "name", "standard_name", "url", "badges", "department", "targets", "themes", "visits",
             "online", *(f"t{c}" for c in analysis.CLASSES))
    actions = [{"_index": name, "_id": f"{county_code}:{doc['code']}", "_routing": county_code, "_source": {
        **{field: doc[field] for field in shown if field in doc}, "county_code": county_code,
        "doc_id": f"p0001:{doc['code']}", "point_slug": "p-0001", "points": schemas, "n": POINTS}}
        for doc in docs]
    helpers.bulk(es.options(request_timeout=600), actions, chunk_size=50)
    es.indices.refresh(index=name)
    return time.perf_counter() - started


def suggestion_latency(es, name: str, prefixes: list[str]) -> dict:
    walls, tooks = [], []
    for _ in range(ROUNDS):
        for prefix in prefixes:
            body = {"query": {"bool": {"filter": [{"term": {"schema_name": "p0500"}}], "should": [
                {"constant_score": {"filter": {"prefix": {"suggest_name": prefix}}, "boost": 2}},
                {"constant_score": {"filter": {"prefix": {"suggest_alias": prefix}}, "boost": 1}}],
                "minimum_should_match": 1}}, "sort": [{"_score": "desc"}, {"code": "asc"}],
                "track_scores": True, "size": 10, "_source": ["code", "name", "url"]}
            started = time.perf_counter()
            found = es.search(index=name, routing="p0500", **body)
            walls.append((time.perf_counter() - started) * 1000)
            tooks.append(found["took"])
    walls.sort()
    return {"p50": statistics.median(walls), "p95": walls[int(0.95 * (len(walls) - 1))],
            "took_p50": statistics.median(tooks), "n": len(walls)}


def old_body(scope, params, query) -> dict:
    """The search body before issue 16 (filters in the query, facets plain)."""
    from search import analysis
    from search.backends.base import RESULT_FIELDS
    from search.backends.elastic import ElasticBackend

    backend = ElasticBackend()
    should = [{"constant_score": {"filter": {"term": {f"t{c}": term}}, "boost": weight * c}}
              for term, weight in sorted(query.terms.items()) for c in analysis.CLASSES]
    sub = {"aggs": {"n": {"cardinality": {"field": "code", "precision_threshold": 3000}}}} if scope.network else {}
    aggs = {
        "total": {"cardinality": {"field": "code", "precision_threshold": 3000}},
        "theme": {"terms": {"field": "themes", "size": 100}, **sub},
        "department": {"terms": {"field": "department", "size": 100}, **sub},
        "target": {"terms": {"field": "targets", "size": 10}, **sub},
        "online": {"terms": {"field": "online", "size": 10}, **sub},
        "visits0": {"filter": {"term": {"visits": 0}}, **sub},
        "visits1": {"filter": {"range": {"visits": {"lte": 1}}}, **sub},
    }
    body = {
        "query": {"bool": {"filter": [{"term": {"county_code": scope.county_code} if scope.network
                                            else {"schema_name": scope.schema_name}},
                                           *backend._facet_filters(params).values()],
                           "should": should, "minimum_should_match": 1}},
        "min_score": analysis.MIN_SCORE, "sort": [{"_score": "desc"}, {"code": "asc"}, {"doc_id": "asc"}],
        "track_scores": True, "from": params.offset, "size": params.size, "_source": list(RESULT_FIELDS),
        "aggs": aggs,
    }
    if scope.network:
        body["collapse"] = {"field": "code"}
    return body


def timed_ms(fn, rounds: int) -> dict:
    walls = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        walls.append((time.perf_counter() - started) * 1000)
    walls.sort()
    return {"p50": statistics.median(walls), "p95": walls[int(0.95 * (len(walls) - 1))], "n": len(walls)}


def shape(es, name: str, county, queries: list[str]) -> None:
    from search import analysis
    from search.query import parse
    from search.service import elsewhere_params, scope_for

    vocab = analysis.current_vocabulary()
    here = scope_for(county)
    here.schema_name = "p0500"
    network = scope_for(county, network=True)
    analysed = [(parse({"q": q}), analysis.analyse_query(vocab, q)) for q in queries]
    analysed = [(p, a) for p, a in analysed if not a.empty]
    i = {"n": 0}

    def next_query():
        i["n"] += 1
        return analysed[i["n"] % len(analysed)]

    def old_first_page():
        params, query = next_query()
        es.search(index=name, routing=here.schema_name, **old_body(here, params, query))
        es.search(index=name, **old_body(network, elsewhere_params(params), query))

    def new_first_page():
        params, query = next_query()
        lines = []
        for scope, asked, facets in ((here, params, True), (network, elsewhere_params(params), False)):
            routing, body = documents_body(scope, asked, query, facets)
            lines += [{"index": name, **({"routing": routing} if routing else {})}, body]
        es.msearch(searches=lines)

    department = "公安局"

    def old_filtered():
        params, query = next_query()
        params.department = department
        es.search(index=name, routing=here.schema_name, **old_body(here, params, query))

    def new_filtered():
        params, query = next_query()
        params.department = department
        routing, body = documents_body(here, params, query, True)
        es.search(index=name, routing=routing, **body)

    rounds = ROUNDS * len(analysed)
    print(f"\nrequest shape ({name}, {len(analysed)} relevance queries × {ROUNDS}, one client):", flush=True)
    for label, fn in (("first page, old: 2 requests", old_first_page), ("first page, new: 1 _msearch", new_first_page),
                      ("department chosen, old", old_filtered), ("department chosen, new", new_filtered)):
        timed_ms(fn, len(analysed))  # warm-up
        f = timed_ms(fn, rounds)
        print(f"  {label:<30} p50 {f['p50']:6.1f} ms  p95 {f['p95']:6.1f} ms  (n={f['n']}; "
              f"load {os.getloadavg()[0]:.2f})", flush=True)


def main() -> None:
    setup_django()
    from elasticsearch import Elasticsearch

    from infra.local.elasticsearch import LocalElasticsearch
    from search import analysis
    from search.backends.elastic import ElasticBackend
    from search.query import parse
    from search.service import scope_for
    from tests.search_relevance import RELEVANCE

    print(f"machine: {machine()} · load {os.getloadavg()[0]:.2f} · N = {POINTS} points, {SHARDS} shards",
          flush=True)
    county, docs = source_documents()
    data = WORK / f"es-routing-{ES_PORT}"
    node = LocalElasticsearch(ROOT / ".cache" / "elasticsearch", data, ES_PORT)
    if node.running():
        sys.exit(f"something already answers on port {ES_PORT}; not ours, so not reused")
    shutil.rmtree(data, ignore_errors=True)
    node.start()
    try:
        es = Elasticsearch(node.url(), request_timeout=600)
        vocab = analysis.current_vocabulary()
        backend = ElasticBackend()
        bodies, entry_bodies = {}, {}
        for scope in ("point", "network"):
            target = scope_for(county, network=scope == "network")
            target.schema_name = "p0500"  # a cloned point in the middle
            asked = [(params, analysis.analyse_query(vocab, q)) for q, _kind, _expected in RELEVANCE
                     for params in [parse({"q": q, "scope": scope})]]
            asked = [(params, query) for params, query in asked if not query.empty]
            bodies[scope] = [documents_body(target, params, query) for params, query in asked]
            entry_bodies[scope] = [backend._body(target, params, query, True) for params, query in asked]
        prefixes = ["结婚", "jiehun", "sfz", "shenfen", "低保", "ydjy", "户口", "hk", "社保", "营业"]
        layouts = {"one shard": 1, f"{SHARDS} shards": SHARDS}
        if os.environ.get("BENCH_ROUTING_SHAPE_ONLY") == "1":
            load(es, "routing-bench-1", 1, docs, county.county_code)
            shape(es, "routing-bench-1", county, [q for q, _kind, _expected in RELEVANCE])
            return
        print(f"\n{len(docs)} documents a point, {len(docs) * POINTS} in all", flush=True)
        for label, shards in layouts.items():
            name = f"routing-bench-{shards}"
            took = load(es, name, shards, docs, county.county_code)
            stored, per_shard = size(es, name)
            es.indices.forcemerge(index=name, max_num_segments=1, request_timeout=1800)
            merged, _ = size(es, name)
            print(f"\n{label}: loaded in {took:.0f} s; {stored / 2**20:.0f} MiB after the refresh, "
                  f"{merged / 2**20:.0f} MiB merged ({merged / sum(per_shard):.0f} B/document); "
                  f"documents per shard {per_shard}", flush=True)
            rows = [("point, routed", "point", True), ("point, not routed", "point", False),
                    ("network", "network", False)]
            for what, scope, routed in rows:
                if shards == 1 and not routed and scope == "point":
                    continue  # one shard: routing changes nothing
                # Warm-up: one pass, so caches and JIT settle as in service.
                latency(es, name, bodies[scope][:20], routed)
                figures = latency(es, name, bodies[scope], routed)
                print(f"  {what:<20} p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms  "
                      f"(node's took p50 {figures['took_p50']} ms; shards asked {figures['shards']}; "
                      f"n={figures['n']}; load {os.getloadavg()[0]:.2f})", flush=True)
            figures = suggestion_latency(es, name, prefixes)
            print(f"  {'suggestion, routed':<20} p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms  "
                  f"(node's took p50 {figures['took_p50']} ms; n={figures['n']}; "
                  f"load {os.getloadavg()[0]:.2f})", flush=True)
            if shards == 1:
                shape(es, name, county, [q for q, _kind, _expected in RELEVANCE])
        name = "routing-bench-entries"
        took = load_entries(es, name, docs, county.county_code)
        stored, per_shard = size(es, name)
        print(f"\nnetwork entries, one shard: {per_shard[0]} entries of {POINTS} points each, loaded in "
              f"{took:.1f} s, {stored / 2**20:.1f} MiB", flush=True)
        for what, scope in (("point", "point"), ("network", "network")):
            latency(es, name, entry_bodies[scope][:20], True)
            figures = latency(es, name, entry_bodies[scope], True)
            print(f"  {what:<20} p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms  "
                  f"(node's took p50 {figures['took_p50']} ms; shards asked {figures['shards']}; "
                  f"n={figures['n']}; load {os.getloadavg()[0]:.2f})", flush=True)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
