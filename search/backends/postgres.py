"""The PostgreSQL backend: documents in one table in public
(search_searchdocument, a trigram index for suggestions), their weighted
terms in another (search_searchtermset), shared by every document with the
same terms, and those terms' postings (search_termposting: term, set, weight).

A search is one statement: the postings of the query's terms give each term
set holding one of them the score of search.analysis (query weight × document
weight, summed), once, and the sets join the documents of the point or network; the
same statement returns the page with its documents' fields, the total and
the facets, all counted as distinct items so that a network search counts each
item once. Facets are disjunctive: each counts with every filter but its own.
The asks of one search (a point's first page and its 本点不办理 network check)
go in one statement too: one round trip to the database per search.
"""
from __future__ import annotations

import orjson

from .. import analysis
from ..query import SearchParams
from .base import RESULT_FIELDS, Answer, Hit, Scope, facet_list
from .prepared import Params, execute, public

TABLE = public("search_searchdocument")
# Each term set's weights by term (migration 0006, kept by triggers on search_searchtermset).
POSTINGS = public("search_termposting")
# One row per item of a county and distinct term set and facet values, kept by triggers
# (migration 0005): a network search reads a few hundred rows, not one per point and item.
NETWORK = public("search_networkentry")


# One SQL condition per filter parameter (search.query.SearchParams.filters), given its placeholder,
# and the parameter's type.
FILTER_SQL = {
    "theme": ("themes @> ARRAY[{}]::varchar[]", "text"),
    "department": ("department = {}", "text"),
    "target": ("targets @> ARRAY[{}]::varchar[]", "text"),
    "visits": ("visits <= {}", "int"),  # 0: no visit; 1: at most one
    "online": ("online = {}", "text"),
}


def _scope_where(scope: Scope, arg: Params) -> str:
    if scope.network:
        return f"county_code = {arg(scope.county_code, 'text')}"
    return f"point_id = {arg(scope.point_id, 'bigint')}"


def _flags(params: SearchParams, arg: Params) -> dict[str, str]:
    """One boolean column per chosen filter (f_<name>) for the matched rows: the
    hits and the total keep every filter, each facet's counts all but its own
    (disjunctive facets), all from the same matched rows in one statement."""
    columns = {}
    for name, value in params.filters().items():
        condition, sql_type = FILTER_SQL[name]
        columns[name] = f"({condition.format(arg(value, sql_type))}) AS f_{name}"
    return columns


def _keep(columns: dict[str, str], leave_out: str | None = None) -> str:
    kept = [f"f_{name}" for name in columns if name != leave_out]
    return " AND ".join(kept) or "TRUE"


# A hit's fields (base.RESULT_FIELDS) as one JSON text, read in the search statement itself and
# parsed by orjson (psycopg2 would parse a json column with the standard library's, 3x slower).
_DOC_JSON = "json_build_object(" + ", ".join(f"'{f}', d.{f}" for f in RESULT_FIELDS) + ")::text"


def _facet_selects(flags: dict[str, str], n: int, matched: str) -> list[str]:
    """Each facet's counts of distinct items, with every filter but its own."""
    items = "count(DISTINCT code)"

    def row(facet: str, value: str, count: str, rest: str) -> str:
        return f"SELECT {n}, {facet}, {value}, {count}, NULL::bigint, NULL::text FROM {matched}{rest}"

    return [
        row("'theme'", "t", items, f", unnest(themes) t WHERE {_keep(flags, 'theme')} GROUP BY t"),
        row("'department'", "department", items, f" WHERE {_keep(flags, 'department')} GROUP BY department"),
        row("'target'", "t", items, f", unnest(targets) t WHERE {_keep(flags, 'target')} GROUP BY t"),
        row("'visits'", "'0'", f"{items} FILTER (WHERE visits = 0)", f" WHERE {_keep(flags, 'visits')}"),
        row("'visits'", "'1'", f"{items} FILTER (WHERE visits <= 1)", f" WHERE {_keep(flags, 'visits')}"),
        row("'online'", "online", items, f" WHERE {_keep(flags, 'online')} GROUP BY online"),
    ]


class PostgresBackend:
    name = "postgres"

    def search_many(self, asks: list[tuple[Scope, SearchParams, analysis.AnalysedQuery, bool]]) -> list[Answer]:
        """Every ask in one statement and one round trip: the point's page and the
        本点不办理 network check of a first page, each with its documents' fields."""
        live = [ask for ask in asks if not ask[2].empty]
        found = iter(self._run(live) if live else [])
        return [Answer(total=0, hits=[], facets=facet_list({}, params.filters())) if query.empty else next(found)
                for _scope, params, query, _facets in asks]

    def search(self, scope: Scope, params: SearchParams, query: analysis.AnalysedQuery,
               facets: bool = True) -> Answer:
        return self.search_many([(scope, params, query, facets)])[0]

    def _run(self, asks) -> list[Answer]:
        ctes: list[str] = []
        selects: list[str] = []
        arg = Params()
        sets_of: dict[tuple, str] = {}  # the same query's term sets are scored once
        for n, (scope, params, query, facets) in enumerate(asks):
            terms = sorted(query.terms)
            key = tuple((term, query.terms[term]) for term in terms)
            sets = sets_of.get(key)
            if sets is None:
                sets = sets_of[key] = f"sets{n}"
                # The terms and their weights are arrays, so that the text (and its plan) is the
                # same whatever the query (search/backends/prepared.py).
                terms_arg = arg(terms, "text[]")
                weights_arg = arg([query.terms[term] for term in terms], "int[]")
                # Scored from the postings of the query's terms (one row per term and set, found
                # through their index), not by looking each term up in every matching set's JSON
                # weights: 0.34 against 0.53-0.62 ms a cold query at 1,000 points (migration 0006).
                ctes.append(f"""{sets} AS MATERIALIZED (
                    SELECT p.key, sum(p.weight * q.weight) AS score
                    FROM unnest({terms_arg}::text[], {weights_arg}::int[]) q(term, weight)
                    JOIN {POSTINGS} p ON p.term = q.term
                    GROUP BY p.key)""")
            flags = _flags(params, arg)
            flag_columns = "".join(f", {column}" for column in flags.values())
            matched, best, page = f"matched{n}", f"best{n}", f"page{n}"
            ctes.append(f"""{matched} AS MATERIALIZED (
                SELECT doc_id, code, themes, department, targets, visits, online, score{flag_columns}
                FROM {sets} JOIN {NETWORK if scope.network else TABLE} ON terms_key = key
                WHERE score >= {arg(analysis.MIN_SCORE, "int")} AND {_scope_where(scope, arg)})""")
            ctes.append(f"""{best} AS MATERIALIZED (
                SELECT DISTINCT ON (code) doc_id, code, score FROM {matched} WHERE {_keep(flags)}
                ORDER BY code, score DESC, doc_id)""")
            ctes.append(f"""{page} AS (
                SELECT doc_id, score, row_number() OVER (ORDER BY score DESC, code) AS rank FROM {best}
                ORDER BY score DESC, code LIMIT {arg(params.size, "int")} OFFSET {arg(params.offset, "int")})""")
            selects.append(f"""SELECT {n}, 'hit', p.doc_id, p.score::bigint, p.rank, {_DOC_JSON}
                FROM {page} p JOIN {TABLE} d ON d.doc_id = p.doc_id""")
            selects.append(f"SELECT {n}, 'total', '', count(*), NULL::bigint, NULL::text FROM {best}")
            if facets:
                selects += _facet_selects(flags, n, matched)
        sql = f"WITH {', '.join(ctes)}\n" + "\nUNION ALL ".join(selects)
        # Every table is read through an index: on small tables the planner may reckon a
        # sequential scan cheap (testing every term set cost 74 ms at 250 points against 8 ms
        # through an index: EXPLAIN ANALYZE, search/README.md), and a generic plan, made before
        # any terms are known, reckons with a guess of their number. SET LOCAL in the same
        # message as the search: both run in one implicit transaction (one round trip, no
        # BEGIN/COMMIT of their own), and the setting ends with it; it holds when the statement
        # is planned, at its first EXECUTE. The generic plan (made once, for any terms) executes as
        # fast as a plan made for each query's values (EXPLAIN ANALYZE of 145 cold queries at
        # 100 points: median 0.60 against 0.76 ms at point scope, 0.47 against 0.48 ms network)
        # and takes 0.02 ms instead of 0.5-0.8 ms to plan, so it is used from the first EXECUTE
        # rather than after PostgreSQL's five trial custom plans.
        rows = execute("find", sql, arg, setup="SET LOCAL enable_seqscan = off;"
                                       " SET LOCAL plan_cache_mode = force_generic_plan;")
        hits: list[list[tuple[int, Hit]]] = [[] for _ in asks]  # (rank, hit) per ask
        totals = [0 for _ in asks]
        counts: list[dict[str, dict[str, int]]] = [{} for _ in asks]
        for n, kind, value, number, rank, doc in rows:
            if kind == "hit":
                hits[n].append((rank, Hit(float(number), orjson.loads(doc))))
            elif kind == "total":
                totals[n] = int(number)
            else:
                counts[n].setdefault(kind, {})[value] = int(number)
        return [Answer(total=totals[n], hits=[hit for _, hit in sorted(hits[n], key=lambda h: h[0])],
                       facets=facet_list(counts[n], params.filters()))
                for n, (_scope, params, _query, _facets) in enumerate(asks)]

    def suggest(self, scope: Scope, prefix: str, size: int) -> list[dict]:
        if not prefix:
            return []
        pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
        arg, anywhere = Params(), "%\n" + pattern  # suggest_text's keys are one a line
        sql = f"""
            SELECT code, name, url,
                   CASE WHEN EXISTS (SELECT 1 FROM unnest(suggest_name) k WHERE k LIKE {arg(pattern, "text")})
                   THEN 2 ELSE 1 END AS score
            FROM {TABLE}
            WHERE point_id = {arg(scope.point_id, "bigint")} AND suggest_text LIKE {arg(anywhere, "text")}
            ORDER BY score DESC, code LIMIT {arg(size, "int")}
        """
        return [{"code": code, "name": name, "url": url} for code, name, url, _ in execute("suggest", sql, arg)]
