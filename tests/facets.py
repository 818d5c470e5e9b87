"""Checking disjunctive facet counts by recounting them: the count of a facet
value is the total of the same search with that value chosen in place of the
facet's own filter (and every other filter kept)."""
from __future__ import annotations

from collections.abc import Callable

Search = Callable[..., tuple[int, dict]]  # (**params) → (total, facets)


def recount(search: Search, per_facet: int = 3, **chosen) -> list[tuple]:
    """Every (facet, value, count, recounted) that differ; [] when all agree. The
    first `per_facet` values of each facet are recounted, and every chosen one."""
    _total, facets = search(**chosen)
    wrong = []
    for name, rows in facets.items():
        for row in [r for n, r in enumerate(rows) if n < per_facet or chosen.get(name) == r["value"]]:
            others = {k: v for k, v in chosen.items() if k != name}
            total, _ = search(**others, **{name: row["value"]})
            if total != row["count"]:
                wrong.append((name, row["value"], row["count"], total))
    return wrong


def counts(facets: dict, name: str) -> dict[str, int]:
    return {row["value"]: row["count"] for row in facets[name]}
