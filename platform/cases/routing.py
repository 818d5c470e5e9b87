"""Who decides a case, and the way to them: the one routing function.

The item's pinned version says which tier decides (`decide_tier`) and which
department; the accepting point's ancestors say which point of that tier is
its own. A case goes up one parent at a time (village → township → county,
park → county) until it reaches the deciding point, and its result comes back
down to the point where the citizen is.

Powers granted to parks (platform/powers, the parks issue) will be consulted
here first: for a granted item and an enterprise in the grant's scope, the
park decides the delegated stages.
"""
from __future__ import annotations

from dataclasses import dataclass

from standards.models import StandardItemVersion
from tenants.models import ServicePoint, Tier

from .errors import CaseError


@dataclass(frozen=True)
class Route:
    deciding_point: ServicePoint
    department: str
    # The points the case passes on its way up, the accepting point first, the deciding one last.
    path: tuple[ServicePoint, ...]


def route(version: StandardItemVersion, point: ServicePoint, applicant_id: str = "") -> Route:
    """Where a case for `version` accepted at `point` is decided.

    `applicant_id` (ID number or credit code) is what delegated powers will
    look at; the tiers alone do not need it."""
    path = [point]
    if version.decide_tier == Tier.COUNTY:
        target_code = point.county_region_code
    elif version.decide_tier == Tier.TOWNSHIP:
        if point.tier in (Tier.COUNTY, Tier.PARK):
            raise CaseError(f"“{version.name}”由乡镇（街道）决定，{point.name}不能收件，请到申请人所在乡镇办理。")
        target_code = point.township_region_code
    else:
        raise CaseError(f"“{version.name}”的决定层级“{version.decide_tier}”无法办理。")
    current = point
    while current.region_code != target_code:
        parent = current.parent
        if parent is None:
            raise CaseError(f"找不到{point.name}上级的决定机关，请联系中心管理员检查服务点层级。")
        path.append(parent)
        current = parent
    return Route(deciding_point=current, department=version.department, path=tuple(path))


def next_hop(holder: ServicePoint, deciding_point: ServicePoint) -> ServicePoint | None:
    """The point a case held at `holder` goes to next on its way up (None: it is there)."""
    if holder.pk == deciding_point.pk:
        return None
    return holder.parent
