"""What one 办事指南 shows, its QR code, and "where else" (就近办).

The standard elements come from the pinned version (public schema); the point's
own values win where it set them, else the standard's, else the point's own
address, hours and phone. "Where else" asks public once: the active points of
this county network with an `Adoption` of the item, ordered by great-circle
distance from this point (or from the citizen's `?lat=&lng=`).
"""
from __future__ import annotations

import io
import math

import segno
from django.http import HttpResponse

from standards import elements
from standards.models import Adoption
from tenants import scope
from tenants.geo import distance_km
from tenants.links import point_url
from tenants.models import ServicePoint

from . import delegation
from .listings import department_path, effective_content, guide_path, theme_path


def _coordinate(value, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or abs(number) > limit:
        return None
    return number


def origin(request, point: ServicePoint | None) -> tuple[float | None, float | None, bool]:
    """Where distances are measured from: the citizen's ?lat=&lng= when both are
    valid, else this point. The flag tells whether the citizen's own was used."""
    lat = _coordinate(request.GET.get("lat"), 90)
    lng = _coordinate(request.GET.get("lng"), 180)
    if lat is not None and lng is not None:
        return lat, lng, True
    if point is not None and point.latitude is not None and point.longitude is not None:
        return float(point.latitude), float(point.longitude), False
    return None, None, False


def where_else(request, page, point: ServicePoint | None) -> dict:
    """The other active points of this county network that offer the item, nearest first."""
    if point is None:
        return {"points": [], "from_citizen": False}
    lat, lng, from_citizen = origin(request, point)
    item_id = page.standard_version.item_id
    candidates = (scope.active_network(point)
                  .filter(pk__in=Adoption.objects.in_network(point).filter(item_id=item_id).values("point_id"))
                  .exclude(pk=point.pk))
    path = guide_path(page)
    found = []
    for other in candidates:
        km = None
        if lat is not None and lng is not None and other.latitude is not None and other.longitude is not None:
            km = distance_km(lat, lng, float(other.latitude), float(other.longitude))
        found.append({
            "point": other, "name": other.name, "tier": other.get_tier_display(),
            "distance_km": None if km is None else round(km, 1),
            "address": other.address, "phone": other.phone, "hours": other.hours,
            "url": point_url(request, other, path),
        })
    found.sort(key=lambda p: (p["distance_km"] is None, p["distance_km"] or 0, p["point"].region_code))
    return {"points": found, "from_citizen": from_citizen}


def _materials(content: dict) -> list[dict]:
    rows = []
    for m in content.get("materials", []):
        rows.append({**m, "required_label": "必需" if m.get("required", True) else "非必需（视情况）"})
    return rows


def _downloads(content: dict) -> list[dict]:
    found = []
    for m in content.get("materials", []):
        if m.get("blank_form_url"):
            found.append({"label": f"{m['name']}（空白表格）", "url": m["blank_form_url"]})
        if m.get("sample_url"):
            found.append({"label": f"{m['name']}（示例样表）", "url": m["sample_url"]})
    return found


def guide_context(page, request) -> dict:
    """Everything the guide and its print view show, local values already applied."""
    point = scope.current_point(request)
    content = effective_content(page)
    standard_promised = page.standard_version.content["promised_days"]
    statutory = content["statutory_days"]
    promised = content["promised_days"]
    path = guide_path(page)
    online_url = page.online_url or content.get("online_url", "")
    legal = elements.parse_legal_basis(content.get("legal_basis"))
    themes = [{"name": t, "url": theme_path(t)} for t in content.get("themes", [])]
    return {
        "point": point,
        "guide": {
            "name": page.title,
            "code": page.code,
            "implementation_code": page.implementation_code,
            "type": content.get("type", ""),
            "department": content.get("department", ""),
            "department_url": department_path(content.get("department", "")),
            "targets": elements.targets(content),
            "themes": themes,
            "aliases": content.get("aliases", []),
            "decide_tier": elements.TIER_LABELS.get(content.get("decide_tier", ""), ""),
            "conditions": content.get("conditions", ""),
            "quantity_limit": content.get("quantity_limit", ""),
            "materials": _materials(content),
            "steps": content.get("steps", []),
            "statutory_days": statutory,
            "promised_days": promised,
            "promised_is_local": page.promised_days is not None,
            "standard_promised_days": standard_promised,
            "days_saved": max(0, statutory - promised),
            "kind": elements.kind(content),
            "badges": elements.badges(content),
            "fee": content.get("fee", ""),
            "fee_basis": content.get("fee_basis", ""),
            "fee_waiver": content.get("fee_waiver", ""),
            "fee_note": page.fee_note,
            "visits": content.get("visits", 0),
            "visit_reason": elements.visit_reason(content),
            "online": content.get("online", ""),
            "online_url": online_url,
            "delivery": content.get("delivery", []),
            "result": content.get("result", ""),
            "window": page.window,
            "address": page.address or (point.address if point else ""),
            "hours": page.hours or (point.hours if point else ""),
            "phone": page.phone or content.get("phone", "") or (point.phone if point else ""),
            "legal_basis": legal,
            "faq": content.get("faq", []),
            "downloads": _downloads(content),
            "notes": page.notes,
            "version": page.standard_version.number,
        },
        "guide_url": path,
        "print_url": f"{path}print/",
        "qr_url": f"{path}qr.svg",
        "absolute_url": absolute_url(page, request, point),
        "where_else": where_else(request, page, point),
        # Powers delegated to parks: read now, so the page changes the moment a grant starts or ends.
        "delegation": delegation.for_guide(request, point, page.standard_version, path),
    }


def absolute_url(page, request, point: ServicePoint | None = None) -> str:
    point = point or scope.current_point(request)
    path = guide_path(page)
    if point is None:
        return request.build_absolute_uri(path)
    return point_url(request, point, path)


def qr_svg(text: str, title: str = "") -> bytes:
    qr = segno.make(text, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=4, xmldecl=False, title=title or None,
            svgclass="qr", lineclass=None)
    return out.getvalue()


def qr_response(page, request) -> HttpResponse:
    """An SVG QR code that opens the guide on the point's own host."""
    url = absolute_url(page, request)
    response = HttpResponse(qr_svg(url, title=f"{page.title} 办事指南二维码"), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response
