"""Relevance figures over tests/search_relevance.py: recall@1, recall@5 and MRR,
per kind of query, for any ranking function. Used by the relevance test and by
tests/bench/bench_search.py."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from tests.search_relevance import RELEVANCE

Ranker = Callable[[str], list[str]]  # query → codes, best first


def measure(rank: Ranker, cases=RELEVANCE) -> dict:
    per_kind: dict[str, list[float]] = defaultdict(list)
    rows = []
    for query, kind, expected in cases:
        found = rank(query)[:10]
        position = next((i for i, code in enumerate(found, start=1) if code in expected), None)
        rows.append((query, kind, expected, found[:5], position))
        per_kind[kind].append(position or 0)
        per_kind["all"].append(position or 0)
    figures = {}
    for kind, positions in per_kind.items():
        n = len(positions)
        figures[kind] = {
            "n": n,
            "recall@1": sum(1 for p in positions if p == 1) / n,
            "recall@5": sum(1 for p in positions if p and p <= 5) / n,
            "mrr": sum(1 / p for p in positions if p) / n,
        }
    return {"figures": figures, "rows": rows}


def table(results: dict[str, dict]) -> str:
    """A text table: one line per (ranker, kind)."""
    kinds = ["all", *sorted({k for r in results.values() for k in r["figures"]} - {"all"})]
    lines = [f"{'ranker':<22} {'kind':<9} {'n':>4} {'R@1':>6} {'R@5':>6} {'MRR':>6}"]
    for name, result in results.items():
        for kind in kinds:
            f = result["figures"].get(kind)
            if f:
                lines.append(f"{name:<22} {kind:<9} {f['n']:>4} {f['recall@1']:>6.3f} {f['recall@5']:>6.3f} "
                             f"{f['mrr']:>6.3f}")
    return "\n".join(lines)


def misses(result: dict) -> list[str]:
    return [f"{kind:<9} {query!r}: expected {'/'.join(expected)}, got {found} (rank {position})"
            for query, kind, expected, found, position in result["rows"] if position != 1]
