"""The PostgreSQL backend: documents in one table in public
(search_searchdocument, a trigram index for suggestions), their weighted
terms in another (search_searchtermset, a GIN index over the terms), shared
by every document with the same terms.

A search is one statement: the term sets holding any query term come from the
GIN index, each gets the score of search.analysis (query weight × document
weight, summed) once, and joins the documents of the point or network; the
same statement returns the page, the total and the facets, all counted as
distinct items so that a network search counts each item once. Facets are
disjunctive: each counts with every filter but its own.
"""
from __future__ import annotations

from django.db import connection, transaction

from .. import analysis
from ..query import SearchParams
from .base import RESULT_FIELDS, Answer, Hit, Scope, facet_list

TABLE = "search_searchdocument"
TERM_SETS = "search_searchtermset"
# One row per item of a county and distinct term set and facet values, kept by triggers
# (migration 0005): a network search reads a few hundred rows, not one per point and item.
NETWORK = "search_networkentry"


# One SQL condition per filter parameter (search.query.SearchParams.filters).
FILTER_SQL = {
    "theme": "themes @> ARRAY[%s]::varchar[]",
    "department": "department = %s",
    "target": "targets @> ARRAY[%s]::varchar[]",
    "visits": "visits <= %s",  # 0: no visit; 1: at most one
    "online": "online = %s",
}


def _scope_where(scope: Scope) -> tuple[str, list]:
    if scope.network:
        return "county_code = %s", [scope.county_code]
    return "point_id = %s", [scope.point_id]


def _flags(params: SearchParams) -> tuple[dict[str, str], list]:
    """One boolean column per chosen filter (f_<name>) for the matched rows: the
    hits and the total keep every filter, each facet's counts all but its own
    (disjunctive facets), all from the same matched rows in one statement."""
    columns, args = {}, []
    for name, value in params.filters().items():
        columns[name] = f"({FILTER_SQL[name]}) AS f_{name}"
        args.append(value)
    return columns, args


def _keep(columns: dict[str, str], leave_out: str | None = None) -> str:
    kept = [f"f_{name}" for name in columns if name != leave_out]
    return " AND ".join(kept) or "TRUE"


class PostgresBackend:
    name = "postgres"

    def search_many(self, asks: list[tuple[Scope, SearchParams, analysis.AnalysedQuery, bool]]) -> list[Answer]:
        return [self.search(*ask) for ask in asks]

    def search(self, scope: Scope, params: SearchParams, query: analysis.AnalysedQuery,
               facets: bool = True) -> Answer:
        if query.empty:
            return Answer(total=0, hits=[], facets=facet_list({}, params.filters()))
        terms = sorted(query.terms)
        score_sql = " + ".join(["COALESCE((weights ->> %s)::int, 0) * %s"] * len(terms))
        score_args = [value for term in terms for value in (term, query.terms[term])]
        where, where_args = _scope_where(scope)
        flags, flag_args = _flags(params)
        flag_columns = "".join(f", {column}" for column in flags.values())
        facet_sql = f"""
            UNION ALL SELECT 'theme', t, count(DISTINCT code) FROM matched, unnest(themes) t
                WHERE {_keep(flags, "theme")} GROUP BY t
            UNION ALL SELECT 'department', department, count(DISTINCT code) FROM matched
                WHERE {_keep(flags, "department")} GROUP BY department
            UNION ALL SELECT 'target', t, count(DISTINCT code) FROM matched, unnest(targets) t
                WHERE {_keep(flags, "target")} GROUP BY t
            UNION ALL SELECT 'visits', '0', count(DISTINCT code) FILTER (WHERE visits = 0) FROM matched
                WHERE {_keep(flags, "visits")}
            UNION ALL SELECT 'visits', '1', count(DISTINCT code) FILTER (WHERE visits <= 1) FROM matched
                WHERE {_keep(flags, "visits")}
            UNION ALL SELECT 'online', online, count(DISTINCT code) FROM matched
                WHERE {_keep(flags, "online")} GROUP BY online"""
        sql = f"""
            WITH sets AS MATERIALIZED (
                SELECT key, ({score_sql}) AS score FROM {TERM_SETS} WHERE terms && %s::text[]
            ), matched AS MATERIALIZED (
                SELECT doc_id, code, themes, department, targets, visits, online, score{flag_columns}
                FROM sets JOIN {NETWORK if scope.network else TABLE} ON terms_key = key
                WHERE score >= %s AND {where}
            ), best AS (
                SELECT DISTINCT ON (code) doc_id, code, score FROM matched WHERE {_keep(flags)}
                ORDER BY code, score DESC, doc_id
            )
            (SELECT 'hit', doc_id, score FROM best ORDER BY score DESC, code LIMIT %s OFFSET %s)
            UNION ALL SELECT 'total', '', count(*) FROM best
            {facet_sql if facets else ""}
        """
        args = [*score_args, terms, *flag_args, analysis.MIN_SCORE, *where_args, params.size, params.offset]
        # The term sets are few rows with long arrays: the planner reckons a sequential scan
        # cheap, but testing `terms && query` on every row cost 74 ms at 250 points against
        # 8 ms through the GIN index (EXPLAIN ANALYZE, search/README.md). Only for this statement.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        hits: list[tuple[str, float]] = []
        total = 0
        counts: dict[str, dict[str, int]] = {}
        for kind, value, number in rows:
            if kind == "hit":
                hits.append((value, float(number)))
            elif kind == "total":
                total = int(number)
            else:
                counts.setdefault(kind, {})[value] = int(number)
        docs = self._docs([doc_id for doc_id, _ in hits])
        return Answer(total=total, hits=[Hit(score, docs[doc_id]) for doc_id, score in hits if doc_id in docs],
                      facets=facet_list(counts, params.filters()))

    def _docs(self, doc_ids: list[str]) -> dict[str, dict]:
        from ..models import SearchDocument

        if not doc_ids:
            return {}
        return {row["doc_id"]: row for row in
                SearchDocument.objects.filter(doc_id__in=doc_ids).values(*RESULT_FIELDS)}

    def suggest(self, scope: Scope, prefix: str, size: int) -> list[dict]:
        if not prefix:
            return []
        pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
        sql = f"""
            SELECT code, name, url,
                   CASE WHEN EXISTS (SELECT 1 FROM unnest(suggest_name) k WHERE k LIKE %s) THEN 2 ELSE 1 END AS score
            FROM {TABLE}
            WHERE point_id = %s AND suggest_text LIKE %s
            ORDER BY score DESC, code LIMIT %s
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [pattern, scope.point_id, "%\n" + pattern, size])
            return [{"code": code, "name": name, "url": url} for code, name, url, _ in cursor.fetchall()]
