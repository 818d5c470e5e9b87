"""Who decides a case, and the way to them: the one routing function.

The item's pinned version says which tier decides (`decide_tier`) and which
department; the accepting point's ancestors say which point of that tier is
its own. A case goes up one parent at a time (village → township → county,
park → county) until it reaches the deciding point, and its result comes back
down to the point where the citizen is.

Powers granted to parks (赋权强园, platform/powers) are consulted first: for
an item the standard marks as delegable and an enterprise in the scope of a
grant in force, the grant's park takes the delegated stages. The case goes up
from wherever it was received to the county and down to the park (a case
received at that park stays there); any other enterprise goes to the county.
"""
from __future__ import annotations

from dataclasses import dataclass

from powers.lookup import grant_for_version
from powers.models import PowerGrant
from standards.models import StandardItemVersion
from tenants.models import ServicePoint, Tier

from .errors import CaseError


@dataclass(frozen=True)
class Route:
    deciding_point: ServicePoint
    department: str
    # The points the case passes on its way up, the accepting point first, the deciding one last.
    path: tuple[ServicePoint, ...]
    # The power grant that sends the case to a park (None: the tiers decide).
    grant: PowerGrant | None = None


def route(version: StandardItemVersion, point: ServicePoint, applicant_id: str = "") -> Route:
    """Where a case for `version` accepted at `point` is decided.

    `applicant_id` (ID number or credit code) is what delegated powers look
    at: an enterprise in a grant's scope goes to the grant's park."""
    grant = grant_for_version(version, applicant_id, point.county_region_code) if applicant_id else None
    if grant is not None:
        return _to_park(version, point, grant)
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


def _to_park(version: StandardItemVersion, point: ServicePoint, grant: PowerGrant) -> Route:
    """Up to the county, then down to the grant's park (the county department's power, the park's hands)."""
    park = grant.grantee
    path = [point]
    current = point
    while current.pk != park.pk and current.pk != park.parent_id:
        parent = current.parent
        if parent is None:
            raise CaseError(f"找不到{point.name}上级的县级服务点，请联系中心管理员检查服务点层级。")
        path.append(parent)
        current = parent
    if current.pk != park.pk:
        path.append(park)
    return Route(deciding_point=park, department=version.department, path=tuple(path), grant=grant)


def next_hop(holder: ServicePoint, deciding_point: ServicePoint) -> ServicePoint | None:
    """The point a case held at `holder` goes to next (None: it is there): up one
    parent at a time, and from the county down to a park that holds a grant."""
    if holder.pk == deciding_point.pk:
        return None
    if deciding_point.parent_id == holder.pk:
        return deciding_point
    return holder.parent
