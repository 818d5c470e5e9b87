"""The one writer of `Adoption`: which points offer which item, pinned to
which version. The rows mirror each point's live guides (cms keeps them in
step as guides are adopted, published, propagated, dropped or deleted), and
propagation reads them to know where a new version must go.
"""
from __future__ import annotations

from collections.abc import Iterable

from tenants.models import ServicePoint

from .models import Adoption, StandardItemVersion


def record_adopted(point: ServicePoint, versions: Iterable[StandardItemVersion]) -> None:
    """New guides of these versions went live at the point (bulk adoption)."""
    Adoption.objects.bulk_create([Adoption(point=point, item_id=v.item_id, version=v) for v in versions],
                                 ignore_conflicts=True)


def record_live_version(point: ServicePoint, version: StandardItemVersion) -> None:
    """The point's live guide of the item now follows `version` (a publish, a
    revert, a propagated version), adopted or not before."""
    Adoption.objects.update_or_create(point=point, item_id=version.item_id, defaults={"version": version})


def record_dropped(point: ServicePoint, codes: Iterable[str]) -> None:
    """The point no longer offers these items (unpublished, deleted, dropped)."""
    Adoption.objects.of_point(point).filter(item__code__in=list(codes)).delete()
