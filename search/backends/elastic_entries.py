"""Elasticsearch's network entries: what both scopes of a search read (issue 16).

A county of 1,000 points holds 1,000 documents of each item, almost all alike:
a network search collapsed 223,000 documents by code (907 ms at p95 under
load), and a point search, routed to its shard, still walked the query terms'
postings of every other point on that shard (104 ms in the node at one shard).
An entry is one group of a county's documents that answer a search alike:
the same item, term set, facet values and shown fields (name, standard name,
URL, badges). It lists the points whose document it is (`points`) and keeps
the smallest doc_id of the group with its point's slug (the one a network
search shows, as the PostgreSQL backend's search_networkentry does).

So a search reads a few hundred entries of the county whatever the number of
points: the network scope collapses them by code, the point scope filters on
`points` (each of a point's documents is in exactly one entry, so the hits,
scores, totals and facets are the point's documents' own).

The outbox keeps them: after a point's documents are written
(search.indexing), the entries of its county and changed codes are composed
again from PostgreSQL's documents and written, and entries no document
stands for any more are deleted. A per-county advisory lock held from the
composing to the commit orders those writers, so the last one to write saw
every change committed before it (without it, two points' tasks could write
entries each composed without the other's change).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import connection

from .. import analysis
from .base import BackendUnavailable

ENTRY_LOCK_SPACE = 7302  # advisory lock space of a county's entries (key 2: the county code)
KEYWORD = {"type": "keyword"}
STORED = {"type": "keyword", "index": False, "doc_values": False}
# What an entry shows: everything of a search hit (search.backends.base.RESULT_FIELDS).
MAPPINGS = {
    "dynamic": "strict",
    # Hits load only what they show; the point list of an entry at 1,000 points is ~20 kB.
    "_source": {"excludes": ["points", *(f"t{c}" for c in analysis.CLASSES)]},
    "properties": {
        "county_code": KEYWORD, "code": KEYWORD, "doc_id": KEYWORD, "point_slug": STORED,
        "points": KEYWORD, "n": {"type": "integer"},
        "name": STORED, "standard_name": STORED, "url": STORED, "badges": {"type": "object", "enabled": False},
        "department": KEYWORD, "targets": KEYWORD, "themes": KEYWORD, "visits": {"type": "integer"},
        "online": KEYWORD,
        **{f"t{c}": KEYWORD for c in analysis.CLASSES},
    },
}
# The group: what must be alike for two documents to answer every search alike.
GROUP = ("county_code", "code", "terms_key", "department", "themes", "targets", "visits", "online",
         "name", "standard_name", "url", "badges")


def alias() -> str:
    return settings.SEARCH_ES_ALIAS + "-entries"


def lock_county(county_code: str) -> None:
    """Until the end of the transaction, no one else writes this county's entries."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ENTRY_LOCK_SPACE, int(county_code)])


def lock_creation() -> None:
    """Until the end of the transaction, no one else creates the entries' index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [ENTRY_LOCK_SPACE])


def entry_id(row: dict) -> str:
    key = json.dumps([row[field] for field in GROUP], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(key.encode()).hexdigest()


def compose(county_code: str, codes=None) -> list[dict]:
    """The entries of the county (of these codes, or all), from PostgreSQL's documents."""
    from ..models import SearchTermSet

    group = ", ".join(GROUP)
    where = "county_code = %s"
    args: list[Any] = [county_code]
    if codes is not None:
        where += " AND code = ANY(%s)"
        args.append(sorted(codes))
    sql = f"""
        SELECT {group}, min(doc_id), (array_agg(point_slug ORDER BY doc_id))[1],
               array_agg(schema_name ORDER BY schema_name), count(*)
        FROM search_searchdocument WHERE {where} GROUP BY {group}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    keys = {row[GROUP.index("terms_key")] for row in rows}
    weights = dict(SearchTermSet.objects.filter(key__in=keys).values_list("key", "weights"))
    entries = []
    for row in rows:
        entry = dict(zip(GROUP, row[:len(GROUP)], strict=True))
        if isinstance(entry["badges"], str):  # jsonb comes back as text without a registered loader
            entry["badges"] = json.loads(entry["badges"])
        entry["doc_id"], entry["point_slug"], entry["points"], entry["n"] = row[len(GROUP):]
        entry["_id"] = entry_id(entry)
        terms = weights[entry.pop("terms_key")]
        for c in analysis.CLASSES:
            entry[f"t{c}"] = sorted(t for t, w in terms.items() if w == c)
        entries.append(entry)
    return entries


def counties() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT county_code FROM search_searchdocument ORDER BY 1")
        return [county for (county,) in cursor.fetchall()]


def existing_ids(es, index: str, county_code: str, codes=None) -> set[str]:
    """The entries the index holds now. A search sees only what a refresh made
    visible, so the index is refreshed first: an entry written by the county's
    previous task less than a second ago must be found to be deleted (a small
    index: a refresh costs milliseconds)."""
    es.indices.refresh(index=index)
    query: dict = {"bool": {"filter": [{"term": {"county_code": county_code}}]}}
    if codes is not None:
        query["bool"]["filter"].append({"terms": {"code": sorted(codes)}})
    found = es.search(index=index, routing=county_code, query=query, size=10_000, _source=False,
                      track_total_hits=False)
    return {hit["_id"] for hit in found["hits"]["hits"]}


def actions(index: str, county_code: str, entries: list[dict], stale: set[str]) -> list[dict]:
    """Bulk actions: the entries written, the stale ones deleted (routed by county)."""
    out = [{"_op_type": "index", "_index": index, "_id": entry["_id"], "_routing": county_code,
            "_source": {k: v for k, v in entry.items() if k != "_id"}} for entry in entries]
    out += [{"_op_type": "delete", "_index": index, "_id": gone, "_routing": county_code} for gone in sorted(stale)]
    return out


def check(errors: list) -> None:
    real = [e for e in errors if not (e.get("delete", {}).get("status") == 404)]
    if real:
        raise BackendUnavailable(f"Elasticsearch bulk errors (entries): {str(real[:3])[:300]}")
