"""The search document of one live guide: what both backends store.

Built inside the point's schema from the guide page (its local title and
promised days) and the standard version it is pinned to (public).
"""
from __future__ import annotations

import hashlib
import json

from cms.listings import effective_content, guide_path
from cms.models import ItemGuidePage
from standards import elements
from tenants.models import ServicePoint

from . import analysis

PARK_KEY = "park"


def doc_id(point: ServicePoint, code: str) -> str:
    return f"{point.schema_name}:{code}"


def live_guides(codes=None):
    pages = ItemGuidePage.objects.live().select_related("standard_version")
    if codes is not None:
        pages = pages.filter(code__in=list(codes))
    return pages.order_by("code")


def build(vocab: analysis.Vocabulary, point: ServicePoint, page: ItemGuidePage,
          parks: list[dict] | None = None) -> dict:
    """`parks`: where the park enterprises of the network go for this item
    (cms.delegation.parks_by_code); kept among the badges as {"key": "park"},
    which search.service turns into the result's `parks`, not a badge."""
    content = effective_content(page)
    aliases = content.get("aliases", [])
    weights = _weights(vocab, page.title, page.standard_version_id, content)
    suggest_name = _suggest_keys(page.title)
    suggest_alias = sorted({key for alias in aliases for key in _suggest_keys(alias)} - set(suggest_name))
    return {
        "doc_id": doc_id(point, page.code),
        "point_id": point.pk,
        "schema_name": point.schema_name,
        "point_slug": point.slug,
        "tier": point.tier,
        "region_code": point.region_code,
        "county_code": point.county_code,
        "latitude": None if point.latitude is None else float(point.latitude),
        "longitude": None if point.longitude is None else float(point.longitude),
        "code": page.code,
        "name": page.title,
        "standard_name": content["name"],
        "department": content["department"],
        "targets": elements.targets(content),
        "themes": list(content.get("themes", [])),
        "visits": content["visits"],
        "online": content["online"],
        "promised_days": content["promised_days"],
        "badges": [{"key": b.key, "label": b.label} for b in elements.badges(content)]
        + [{"key": PARK_KEY, "label": "园区企业到园区办", **park} for park in parks or []],
        "url": guide_path(page),
        "weights": weights,
        "terms_key": terms_key(weights),
        "suggest_name": suggest_name,
        "suggest_alias": suggest_alias,
        "suggest_text": "\n" + "\n".join(suggest_name + suggest_alias),
    }


# The same version under the same title has the same terms at every point:
# analysed once per process and vocabulary (reindexing 1,000 points analyses
# each item once, not a thousand times).
_analysed: dict[tuple, dict[str, int]] = {}


def _weights(vocab: analysis.Vocabulary, title: str, version_id: int, content: dict) -> dict[str, int]:
    key = (vocab.generation, title, version_id)
    if key not in _analysed:
        if len(_analysed) > 20_000:
            _analysed.clear()
        weights = analysis.document_terms(vocab, title, content.get("aliases", []), content.get("result", ""),
                                          content["department"], content.get("themes", []))
        if title != content["name"]:  # a renamed guide is still found by the standard's name
            for term, weight in analysis.document_terms(vocab, content["name"]).items():
                weights[term] = max(weight, weights.get(term, 0))
        _analysed[key] = weights
    return _analysed[key]


def terms_key(weights: dict[str, int]) -> str:
    return hashlib.sha1(json.dumps(sorted(weights.items()), ensure_ascii=False).encode()).hexdigest()


def _suggest_keys(text: str) -> list[str]:
    """What a typed prefix is compared with: the text, its pinyin, its initials."""
    compact = analysis.normalize(text).replace(" ", "")
    if not compact:
        return []
    return sorted({compact, analysis.pinyin(compact), analysis.initials(compact)} - {""})
