"""What powers delegated to parks (赋权强园) change on the pages and in search.

Pages read the grants in effect at request time (powers.PowerGrant, public
schema), so a guide is never stale: the park's guide of a granted item names
the park as the place to go for its enterprises, with the grant's legal basis
(instrument, date, public notice) and seal; every other guide of the item in
the county network (the county's first) says that enterprises of the park go
to the park. The park's catalogue lists its granted items first.

Search documents carry the same fact (search.documents), so they must be
rebuilt when a grant starts or ends: powers.hooks' signals come here inside
the grant's transaction, and `guides_changed` writes the search outbox rows
for every point of the network offering a granted item — the same outbox as a
propagated standard version. A granted item the park did not offer yet is
adopted there first, so the park's catalogue has its guide.
"""
from __future__ import annotations

from collections import defaultdict

from django.db.models import F
from django.utils import timezone
from django_tenants.utils import tenant_context

from powers.models import PowerGrant, ScopeKind
from standards.models import Adoption, StandardItemVersion
from tenants.links import point_url
from tenants.models import ServicePoint, Tier

from .adoption import adopt
from .hooks import guides_changed
from .models import ItemGuidePage


def in_effect():
    """Grants that send cases to their parks today (what cases.routing reads through powers.lookup)."""
    return PowerGrant.objects.effective(timezone.localdate())


def _network(point: ServicePoint):
    return in_effect().filter(grantor__region_code__startswith=point.county_code)


def scope_text(grant: PowerGrant) -> str:
    park = grant.grantee.name
    if grant.scope_kind == ScopeKind.REGIONS:
        return f"在{park}登记（登记区划 {'、'.join(grant.region_codes)}）的企业"
    return f"列入{park}企业名单的 {len(grant.credit_codes)} 家企业"


def _basis(grant: PowerGrant) -> dict:
    return {
        "grantor": f"{grant.grantor.name}{grant.department}", "department": grant.department,
        "park": grant.grantee, "park_name": grant.grantee.name, "stages": "、".join(grant.stage_labels),
        "decides": grant.decides, "instrument_number": grant.instrument_number,
        "instrument_date": grant.instrument_date, "notice_url": grant.notice_url, "seal_name": grant.seal_name,
        "valid_from": grant.valid_from, "valid_to": grant.valid_to, "scope": scope_text(grant),
        "confirm_by_county": grant.confirm_by_county,
    }


def for_guide(request, point: ServicePoint | None, version: StandardItemVersion, path: str) -> dict:
    """The delegation facts a guide shows: `granted` at the park that holds a
    grant of the item, `parks` (where the park's enterprises go) elsewhere.

    No query for a guide whose pinned version does not mark the item delegable
    to parks (most items): routing reads no grant for a case of such a version
    either (powers.lookup.grant_for_version), so the guide says what routing does."""
    if point is None or not version.content.get("park_delegable"):
        return {"granted": [], "parks": []}
    grants = list(_network(point).filter(items=version.item_id).select_related("grantor", "grantee")
                  .order_by("grantee__region_code", "pk"))
    granted = [_basis(g) for g in grants if g.grantee_id == point.pk]
    parks = [{**_basis(g), "url": point_url(request, g.grantee, path)} for g in grants if g.grantee_id != point.pk]
    return {"granted": granted, "parks": parks}


def granted_here(point: ServicePoint | None) -> list[dict]:
    """The park's catalogue: each item it holds a grant for, with its guide's path and the grant."""
    if point is None or point.tier != Tier.PARK:
        return []
    grants = list(in_effect().filter(grantee=point).select_related("grantor", "grantee").prefetch_related("items"))
    codes = {item.code: grant for grant in grants for item in grant.items.all()}
    pages = ItemGuidePage.objects.live().filter(code__in=list(codes)).order_by("code")
    return [{"name": page.title, "code": page.code, "url": f"/items/{page.code}/", **_basis(codes[page.code])}
            for page in pages]


def parks_by_code(point: ServicePoint, codes) -> dict[str, list[dict]]:
    """For search documents: code → the parks of the point's network whose
    enterprises go there for it (one query)."""
    codes = list(codes) if codes is not None else None
    grants = _network(point).select_related("grantee")
    rows = PowerGrant.items.through.objects.filter(powergrant__in=grants)
    if codes is not None:
        rows = rows.filter(standarditem__code__in=codes)
    out: dict[str, list[dict]] = defaultdict(list)
    for code, slug, name in rows.values_list("standarditem__code", "powergrant__grantee__slug",
                                             "powergrant__grantee__name").order_by("powergrant__grantee__slug"):
        if not any(p["slug"] == slug for p in out[code]):
            out[code].append({"slug": slug, "name": name})
    return dict(out)


# --- when a grant starts or ends ----------------------------------------------------

def _refresh(grant: PowerGrant, adopt_missing: bool) -> None:
    items = list(grant.items.all())
    codes = [item.code for item in items]
    park = grant.grantee
    if adopt_missing:
        with tenant_context(park):
            have = set(ItemGuidePage.objects.filter(code__in=codes).values_list("code", flat=True))
            missing = StandardItemVersion.objects.filter(item__in=[i for i in items if i.code not in have],
                                                         item__current=F("pk"))
            adoptable = [v for v in missing if park.tier in v.accept_tiers]
            if adoptable:
                adopt(park, adoptable)  # sends guides_changed for them itself
    # Every point of the network offering a granted item: its documents say where the park's enterprises go.
    by_point: dict[int, list[str]] = defaultdict(list)
    for point_id, code in (Adoption.objects.in_network(park).filter(item__in=items)
                           .values_list("point_id", "item__code")):
        by_point[point_id].append(code)
    for point in ServicePoint.objects.filter(pk__in=list(by_point)):
        guides_changed.send(sender=PowerGrant, point=point, codes=by_point[point.pk])


def grant_started(sender, grant: PowerGrant, **kwargs) -> None:
    """powers.hooks.grant_started: the park's guides, and every document of the items, now say "the park"."""
    _refresh(grant, adopt_missing=True)


def grant_ended(sender, grant: PowerGrant, **kwargs) -> None:
    """powers.hooks.grant_ended: they stop saying it (the pages read the grants; the documents are rebuilt)."""
    _refresh(grant, adopt_missing=False)
