"""The Elasticsearch backend: one index of documents for the whole network
behind an alias (documents routed by the point's schema, ids
"<schema>:<code>"), and one index of network entries behind a second alias
(search/backends/elastic_entries.py: a county's documents grouped where they
answer alike, routed by county), which both scopes of a search read.

Only core field types and queries are used (keyword, integer, geo_point,
constant_score, collapse, cardinality), because the integration-test
distribution has no analysis plugins: terms come from search.analysis. Each
weight class of a document's terms is one keyword field (t40 … t1); a query
term t of weight q becomes, for every class c, a clause "t<c> holds t" worth
q × c, so the bool query's sum is exactly the PostgreSQL backend's score.
"""
from __future__ import annotations

import logging
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import analysis
from ..query import SearchParams
from . import elastic_entries as entries
from .base import FACETS, RESULT_FIELDS, Answer, BackendUnavailable, Hit, Scope, facet_list

log = logging.getLogger(__name__)

KEYWORD = {"type": "keyword"}
STORED = {"type": "keyword", "index": False, "doc_values": False}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "doc_id": KEYWORD, "point_id": {"type": "integer"}, "schema_name": KEYWORD, "point_slug": KEYWORD,
        "tier": KEYWORD, "region_code": KEYWORD, "county_code": KEYWORD, "location": {"type": "geo_point"},
        "code": KEYWORD, "name": STORED, "standard_name": STORED, "department": KEYWORD, "targets": KEYWORD,
        "themes": KEYWORD, "visits": {"type": "integer"}, "online": KEYWORD, "promised_days": {"type": "integer"},
        "badges": {"type": "object", "enabled": False}, "url": STORED,
        "suggest_name": KEYWORD, "suggest_alias": KEYWORD,
        **{f"t{c}": KEYWORD for c in analysis.CLASSES},
    },
}


# The classes a term of each kind can have in a document (analysis.document_terms: an
# exact name is 40, 20 or, as an item's result, 10; a word 10, 5 or, from a department
# or theme, 1; its pinyin and initials 10 or 5; a bigram 2 or 1). A clause for any
# other class never matches: leaving it out halves the clauses of a search, scores
# unchanged. test_search_elasticsearch checks every stored term set against it.
TERM_CLASSES = {"e:": (40, 20, 10), "w:": (10, 5, 1), "p:": (10, 5), "i:": (10, 5), "b:": (2, 1)}


def classes_of(term: str) -> tuple[int, ...]:
    return TERM_CLASSES.get(term[:2], analysis.CLASSES)


def es_source(doc: dict) -> dict:
    """A stored document (search.documents.build) as Elasticsearch keeps it."""
    source = {key: doc[key] for key in MAPPINGS["properties"] if key in doc}
    if doc.get("latitude") is not None and doc.get("longitude") is not None:
        source["location"] = {"lat": doc["latitude"], "lon": doc["longitude"]}
    for c in analysis.CLASSES:
        source[f"t{c}"] = sorted(t for t, w in doc["weights"].items() if w == c)
    return source


def client(searches: int = 1):
    """The client of searches. With `searches` > 1 (an _msearch), the budget the
    separate requests had together: a busy node is not declared down sooner for
    answering two searches in one request."""
    return _client(settings.ELASTICSEARCH_URL, settings.SEARCH_ES_TIMEOUT, searches)


def admin_client():
    """Index management (create, aliases, refresh, delete by query, bulk writes):
    never on a citizen's path, so it waits as long as a bulk write may instead of
    failing fast like a search (a node under load takes seconds to create an index)."""
    return client().options(request_timeout=settings.SEARCH_ES_BULK_TIMEOUT)


@cache
def _client(url: str, timeout: float, searches: int = 1):
    from elasticsearch import Elasticsearch

    if searches > 1:
        # The same connections with a longer budget, made once: the library's options()
        # builds a client (~40 namespace objects) each call, 0.2 ms of a search's CPU.
        return _client(url, timeout, 1).options(request_timeout=timeout * searches)
    # No retries and a short timeout: a search falls back to PostgreSQL at once.
    return Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False,
                         serializers=_orjson_serializers())


def _orjson_serializers() -> dict:
    """Bodies and answers in orjson (the client's own OrjsonSerializer, and the same
    for the _msearch and bulk lines): a point's first page wrote its two bodies in
    0.23 ms of CPU with the standard library, 0.03 with orjson."""
    import orjson
    from elasticsearch.serializer import NdjsonSerializer, OrjsonSerializer

    class OrjsonNdjsonSerializer(NdjsonSerializer):
        def json_dumps(self, data: Any) -> bytes:
            return orjson.dumps(data, default=self.default)

        def json_loads(self, data: bytes) -> Any:
            return orjson.loads(data)

    return {"application/json": OrjsonSerializer(), "application/x-ndjson": OrjsonNdjsonSerializer()}


def alias() -> str:
    return settings.SEARCH_ES_ALIAS


def _unavailable(exc: Exception) -> BackendUnavailable:
    return BackendUnavailable(f"Elasticsearch: {type(exc).__name__}: {exc}"[:300])


def call(fn, *args, **kwargs):
    from elasticsearch import ApiError, TransportError

    try:
        return fn(*args, **kwargs)
    except (TransportError, ApiError, OSError) as exc:
        raise _unavailable(exc) from exc


# What an answer reads of the node's response (filter_path): the node writes and the
# client parses only these, not each hit's index, id, routing and collapse fields.
# "took" is always there: an _msearch drops a response left empty from its list
# (a check without hits), which would shift the answers after it.
ANSWER_FIELDS = ["took", "hits.total.value", "hits.hits._source", "hits.hits.sort", "aggregations", "error"]


class ElasticBackend:
    name = "elasticsearch"

    # --- reading -----------------------------------------------------------------

    def _scope_filter(self, scope: Scope) -> dict:
        """On the entries: the county's, or those listing the point (schema names are unique in the cell)."""
        if scope.network:
            return {"term": {"county_code": scope.county_code}}
        return {"term": {"points": scope.schema_name}}

    def _facet_filters(self, params: SearchParams) -> dict[str, dict]:
        """One clause per chosen filter, by facet name."""
        clauses: dict[str, dict] = {}
        filters = params.filters()
        for name, field in (("theme", "themes"), ("department", "department"), ("target", "targets"),
                            ("online", "online")):
            if name in filters:
                clauses[name] = {"term": {field: filters[name]}}
        if "visits" in filters:
            clauses["visits"] = {"range": {"visits": {"lte": filters["visits"]}}}
        return clauses

    def search(self, scope: Scope, params: SearchParams, query: analysis.AnalysedQuery,
               facets: bool = True) -> Answer:
        return self.search_many([(scope, params, query, facets)])[0]

    def search_many(self, asks: list[tuple[Scope, SearchParams, analysis.AnalysedQuery, bool]]) -> list[Answer]:
        """Several searches in ONE request: the body of each holds its query, its
        page, its total and its facets; two or more go as one _msearch (a point's
        page and the network's 本点不办理 check cannot share a body: the check is
        collapsed by code, the page is not)."""
        bodies = [None if query.empty else self._body(scope, params, query, facets)
                  for scope, params, query, facets in asks]
        sent = [b for b in bodies if b is not None]
        if len(sent) == 1:
            routing, body = sent[0]
            found = [call(client().search, index=entries.alias(), routing=routing, filter_path=ANSWER_FIELDS,
                          **body)]
        elif sent:
            lines: list[dict] = []
            for routing, body in sent:
                lines += [{"index": entries.alias(), "routing": routing}, body]
            responses = call(client(len(sent)).msearch, searches=lines,
                             filter_path=[f"responses.{f}" for f in ANSWER_FIELDS])["responses"]
            failed = [r["error"] for r in responses if "error" in r]
            if failed:
                raise BackendUnavailable(f"Elasticsearch msearch: {str(failed[:2])[:300]}")
            found = list(responses)
        else:
            found = []
        answers = []
        for (scope, params, _query, facets), asked in zip(asks, bodies, strict=True):
            if asked is None:
                answers.append(Answer(total=0, hits=[], facets=facet_list({}, params.filters())))
            else:
                answers.append(self._answer(scope, params, facets, found.pop(0)))
        return answers

    def _body(self, scope: Scope, params: SearchParams, query: analysis.AnalysedQuery,
              facets: bool) -> tuple[str, dict]:
        should = [
            {"constant_score": {"filter": {"term": {f"t{c}": term}}, "boost": weight * c}}
            for term, weight in sorted(query.terms.items()) for c in classes_of(term)
        ]
        chosen = self._facet_filters(params)

        def keep(leave_out: str | None) -> list[dict]:
            # Disjunctive facets: a facet counts with every chosen filter but its own.
            return [c for name, c in chosen.items() if name != leave_out]

        def counted(leave_out: str | None, agg: dict) -> dict:
            # Under a filter aggregation only when a filter is left to apply: with none
            # chosen (most searches) each facet is a plain aggregation, without the
            # filter aggregation's own setup and collection.
            others = keep(leave_out)
            return {"filter": {"bool": {"filter": others}}, "aggs": {"v": agg}} if others else agg

        # Facets count items. A point is listed by one entry per item, so there the
        # entry count is the item count; across a network, distinct codes
        # (exact far beyond a catalogue's few hundred items at this threshold).
        distinct = {"cardinality": {"field": "code", "precision_threshold": 3000}}
        sub = {"aggs": {"n": distinct}} if scope.network else {}
        body: dict[str, Any] = {
            "query": {"bool": {"filter": [self._scope_filter(scope)], "should": should,
                               "minimum_should_match": 1}},
            "min_score": analysis.MIN_SCORE,
            # A hit's score is its first sort value: track_scores would score the hits
            # again in the fetch phase (building every clause's weight once more).
            "sort": [{"_score": "desc"}, {"code": "asc"}, {"doc_id": "asc"}],
            # At a point an entry is an item, so the hits' count (after the chosen filters,
            # the post_filter) is the total; a network's is its distinct codes ("total").
            "track_total_hits": facets and not scope.network,
            "from": params.offset, "size": params.size,
            # An entry's stored source is what a hit shows (its terms and points are not
            # stored in it: elastic_entries.MAPPINGS), so it is sent as stored, unfiltered.
            "_source": True,
        }
        if facets:  # the 本点不办理 check (facets False) reads its few hits only: no total, no facets
            body["aggs"] = {
                "theme": counted("theme", {"terms": {"field": "themes", "size": 100}, **sub}),
                "department": counted("department", {"terms": {"field": "department", "size": 100}, **sub}),
                "target": counted("target", {"terms": {"field": "targets", "size": 10}, **sub}),
                "online": counted("online", {"terms": {"field": "online", "size": 10}, **sub}),
                # Visits are whole numbers from 0: at most 0 and at most 1, in one aggregation.
                "visits": counted("visits", {"range": {"field": "visits", "keyed": True, "ranges": [
                    {"key": "0", "from": 0, "to": 1}, {"key": "1", "from": 0, "to": 2}]}, **sub}),
            }
            if scope.network:
                body["aggs"]["total"] = counted(None, distinct)
        if chosen:  # the hits keep every filter; the aggregations choose their own
            body["post_filter"] = {"bool": {"filter": keep(None)}}
        if scope.network:
            body["collapse"] = {"field": "code"}
        # Every entry of a county is on the shard its code routes to.
        return scope.county_code, body

    def _answer(self, scope: Scope, params: SearchParams, facets: bool, found: dict) -> Answer:
        # filter_path leaves out what is empty: no "hits" when nothing matched.
        hits = [Hit(float(h["sort"][0]), self._shown(scope, h["_source"]))
                for h in found.get("hits", {}).get("hits", [])]
        if not facets:  # the 本点不办理 check: its hits (the total is theirs, not counted)
            return Answer(total=len(hits), hits=hits)
        aggregations = found["aggregations"]

        def agg(name: str) -> dict:  # the facet's aggregation, under its filter aggregation or not
            under = aggregations[name]
            return under.get("v", under)

        def count(bucket: dict) -> int:
            return bucket["n"]["value"] if scope.network else bucket["doc_count"]

        counts = {name: {b["key"]: count(b) for b in agg(name).get("buckets", [])}
                  for name in FACETS if name != "visits"}
        counts["visits"] = {v: count(agg("visits")["buckets"][v]) for v in ("0", "1")}
        total = agg("total")["value"] if scope.network else found.get("hits", {}).get("total", {}).get("value", 0)
        return Answer(total=int(total), hits=hits, facets=facet_list(counts, params.filters()))

    @staticmethod
    def _shown(scope: Scope, source: dict) -> dict:
        """A hit as the document it stands for: at point scope the point's own (an
        entry keeps the smallest doc_id of its group, which a network search shows)."""
        doc = {field: source[field] for field in RESULT_FIELDS}
        if not scope.network:
            doc["doc_id"] = f"{scope.schema_name}:{source['code']}"
            doc["point_slug"] = scope.point_slug
        return doc

    def suggest(self, scope: Scope, prefix: str, size: int) -> list[dict]:
        if not prefix:
            return []
        body = {
            "query": {"bool": {
                "filter": [{"term": {"schema_name": scope.schema_name}}],
                "should": [
                    {"constant_score": {"filter": {"prefix": {"suggest_name": prefix}}, "boost": 2}},
                    {"constant_score": {"filter": {"prefix": {"suggest_alias": prefix}}, "boost": 1}},
                ],
                "minimum_should_match": 1,
            }},
            "sort": [{"_score": "desc"}, {"code": "asc"}],
            "track_scores": True,
            "size": size, "_source": ["code", "name", "url"],
        }
        found = call(client().search, index=alias(), routing=scope.schema_name, **body)
        return [{"code": h["_source"]["code"], "name": h["_source"]["name"], "url": h["_source"]["url"]}
                for h in found["hits"]["hits"]]

    # --- writing -----------------------------------------------------------------

    def write_indexes(self, name: str | None = None) -> list[str]:
        """The physical indexes behind alias `name` (default: the documents') that
        take writes now (two while reindexing)."""
        from ..models import ElasticIndexState

        name = name or alias()
        state = ElasticIndexState.objects.filter(alias=name).first()
        if state is None or not state.write_indexes:
            return [self.ensure_index(name)]
        return list(state.write_indexes)

    def current_indexes(self, name: str | None = None) -> list[str]:
        """The indexes behind the alias (none yet on a new cluster)."""
        es = admin_client()
        if not call(es.indices.exists_alias, name=name or alias()):
            return []
        return sorted(call(es.indices.get_alias, name=name or alias()))

    def ensure_index(self, name: str | None = None) -> str:
        """The index behind the alias, created (with the alias) on first use."""
        from ..models import ElasticIndexState

        name = name or alias()
        with transaction.atomic():
            if name == entries.alias():
                # Made once, and whole: the entries of every county before the alias points to it
                # (an empty one would answer searches with nothing; the first outbox task after
                # an upgrade makes it, or `reindex --entries` beforehand).
                entries.lock_creation()
            existing = self.current_indexes(name)
            if existing:
                index = existing[-1]
            else:
                index = self.create_index(name)
                if name == entries.alias():
                    self.fill_entries(index)
                call(admin_client().indices.update_aliases, actions=[{"add": {"index": index, "alias": name}}])
            ElasticIndexState.objects.update_or_create(alias=name, defaults={"write_indexes": [index]})
        return index

    def fill_entries(self, index: str) -> tuple[int, int]:
        """Every county's entries written into a new `index`, county by county
        under each county's entry lock; (entries, counties)."""
        counties = entries.counties()
        return sum(self.write_entries(county, indexes=[index], refresh=False) for county in counties), len(counties)

    def create_index(self, name: str | None = None) -> str:
        name = name or alias()
        index = f"{name}-{timezone.now():%Y%m%d%H%M%S%f}"
        if name == entries.alias():
            # A county's entries are a few hundred, a province's tens of thousands: one shard.
            mappings, shards = entries.MAPPINGS, 1
        else:
            mappings, shards = MAPPINGS, settings.SEARCH_ES_SHARDS
        call(admin_client().indices.create, index=index, mappings=mappings, settings={
            "number_of_shards": shards, "number_of_replicas": settings.SEARCH_ES_REPLICAS,
            "refresh_interval": "1s",
        })
        return index

    def write(self, docs: list[dict], deleted: list[tuple[str, str]], indexes: list[str] | None = None,
              refresh: bool | None = None) -> None:
        """Index `docs` and delete `deleted` ((doc_id, schema) pairs) in every write index, in one bulk.
        `refresh` (default: settings.SEARCH_ES_REFRESH) waits until searches see the change."""
        from elasticsearch import helpers

        actions = []
        for index in indexes or self.write_indexes():
            for doc in docs:
                actions.append({"_op_type": "index", "_index": index, "_id": doc["doc_id"],
                                "_routing": doc["schema_name"], "_source": es_source(doc)})
            for doc_id, schema in deleted:
                actions.append({"_op_type": "delete", "_index": index, "_id": doc_id, "_routing": schema})
        if not actions:
            return
        wait = settings.SEARCH_ES_REFRESH if refresh is None else refresh
        try:
            _ok, reported = helpers.bulk(admin_client(), actions,
                                         refresh="wait_for" if wait else False,
                                         raise_on_error=False, raise_on_exception=True)
        except Exception as exc:  # connection errors arrive wrapped in several ways
            raise _unavailable(exc) from exc
        # Without stats_only, bulk reports the failed actions themselves, not a count.
        errors = cast(list[dict[str, Any]], reported)
        real = [e for e in errors if not (e.get("delete", {}).get("status") == 404)]
        if real:
            raise BackendUnavailable(f"Elasticsearch bulk errors: {str(real[:3])[:300]}")

    def delete_point(self, schema_name: str) -> None:
        for index in self.write_indexes():
            call(admin_client().delete_by_query, index=index, routing=schema_name,
                  query={"term": {"schema_name": schema_name}}, refresh=True, conflicts="proceed")

    def write_entries(self, county_code: str, codes=None, indexes: list[str] | None = None,
                      refresh: bool | None = None) -> int:
        """The county's entries of these codes (or all) composed again from
        PostgreSQL's documents and written; entries no document stands for any
        more deleted. Under the county's entry lock until the transaction ends
        (search/backends/elastic_entries.py says why). Returns how many written."""
        from elasticsearch import helpers

        with transaction.atomic():  # the lock lasts until the outermost transaction ends
            entries.lock_county(county_code)
            current = entries.compose(county_code, codes)
            ids = {entry["_id"] for entry in current}
            actions: list[dict] = []
            for index in indexes or self.write_indexes(entries.alias()):
                stale = call(entries.existing_ids, admin_client(), index, county_code, codes) - ids
                actions += entries.actions(index, county_code, current, stale)
            if not actions:
                return 0
            wait = settings.SEARCH_ES_REFRESH if refresh is None else refresh
            try:
                _ok, reported = helpers.bulk(admin_client(), actions, refresh="wait_for" if wait else False,
                                             raise_on_error=False, raise_on_exception=True)
            except Exception as exc:  # connection errors arrive wrapped in several ways
                raise _unavailable(exc) from exc
            entries.check(cast(list[dict[str, Any]], reported))
            return len(current)
