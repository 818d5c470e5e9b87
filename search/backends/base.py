"""What every search backend answers, whatever it runs on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Fields of a document a result needs (both backends return exactly these).
RESULT_FIELDS = ("doc_id", "code", "name", "standard_name", "point_slug", "department", "badges", "url",
                 "targets", "themes", "visits", "online")
FACETS = ("theme", "department", "target", "visits", "online")


class BackendUnavailable(Exception):
    """The backend cannot answer now (server down, timeout): the caller falls back."""


@dataclass
class Hit:
    score: float
    doc: dict


@dataclass
class Answer:
    total: int  # matching items (distinct codes)
    hits: list[Hit]
    facets: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Scope:
    """Which documents a search may see: one point's, or its county network's."""

    point_id: int
    schema_name: str
    county_code: str
    network: bool
    point_slug: str = ""  # the point's, for hits at point scope that are not its own documents' rows


def facet_list(counts: dict[str, dict[str, int]], selected: dict | None = None) -> dict[str, list[dict]]:
    """Both backends' raw counts in one order: most first, then by value.

    Counts are disjunctive: a facet's counts ignore its own filter and keep the
    others (and the query), so choosing a department still shows how many items
    each other department has. A selected value is always listed, with 0 if the
    other filters leave none of it, so that it can be seen and unselected."""
    out: dict[str, list[dict]] = {}
    chosen = {name: str(value) for name, value in (selected or {}).items()}
    for name in FACETS:
        values = counts.get(name, {})
        rows: list[dict[str, Any]]  # {"value": str, "count": int}
        if name == "visits":
            rows = [{"value": v, "count": values.get(v, 0)} for v in ("0", "1")]
        else:
            rows = [{"value": v, "count": n} for v, n in values.items() if n or v == chosen.get(name)]
            if name in chosen and chosen[name] not in values:
                rows.append({"value": chosen[name], "count": 0})
            rows.sort(key=lambda r: (-r["count"], r["value"]))
        out[name] = rows
    return out

