"""What routing, guides and search read of grants: which grant, if any, sends
a case to a park. One indexed query per routing decision, and none at all for
an item the standard does not mark as delegable or an applicant who is not an
enterprise (the common case stays as fast as without grants)."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from . import scope
from .models import GrantStatus, PowerGrant


def active_grant(item_id: int, applicant_id: str, county_region_code: str, *,
                 on: dt.date | None = None) -> PowerGrant | None:
    """The grant in force on `on` (today) for this item, of this county, covering the applicant."""
    code = scope.applicant_code(applicant_id)
    if code is None:
        return None
    on = on or timezone.localdate()
    # No ORDER BY: overlapping grants are refused, so at most one matches (both arrays have a GIN index).
    found = (PowerGrant.objects.effective(on)
             .filter(items=item_id, grantor__region_code=county_region_code)
             .filter(Q(credit_codes__contains=[code]) | Q(region_codes__contains=[scope.region_of(code)]))
             .select_related("grantee").order_by()[:1])
    return next(iter(found), None)


def grant_for_version(version, applicant_id: str, county_region_code: str) -> PowerGrant | None:
    """As active_grant, for a standard version (skips the query when its item is not delegable)."""
    if not version.content.get("park_delegable"):
        return None
    return active_grant(version.item_id, applicant_id, county_region_code)


def effective_grants_of_park(park, *, on: dt.date | None = None):
    """The grants a park acts under today (its workbench, its guides)."""
    return PowerGrant.objects.effective(on or timezone.localdate()).filter(grantee=park)


def effective_grants_for_item(item_id: int, county_region_code: str, *, on: dt.date | None = None):
    """Today's grants of an item in a county (the county guide: "enterprises of park X go to the park")."""
    return (PowerGrant.objects.effective(on or timezone.localdate())
            .filter(items=item_id, grantor__region_code=county_region_code).select_related("grantee"))


def covers(grant: PowerGrant, applicant_id: str) -> bool:
    return scope.covers(grant.credit_codes, grant.region_codes, applicant_id)


def grants_visible_to(point):
    """Grants a point's admins may read: a county its own, a park those it received."""
    if point is None:
        return PowerGrant.objects.none()
    return PowerGrant.objects.filter(Q(grantor=point) | Q(grantee=point))


__all__ = ["active_grant", "grant_for_version", "effective_grants_of_park", "effective_grants_for_item", "covers",
           "grants_visible_to", "GrantStatus"]
