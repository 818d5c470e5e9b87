"""Plain views of a point's public site (outside Wagtail's page tree)."""
from __future__ import annotations

from django.http import Http404


def guide_qr(request, code: str):
    """/items/<code>/qr.svg: Wagtail's page URLs end in a slash and allow no dot,
    so the guide's own `qr.svg` route is reached through this URL instead."""
    from .guide_view import qr_response
    from .models import ItemGuidePage

    page = ItemGuidePage.objects.live().filter(code__iexact=code).select_related("standard_version").first()
    if page is None:
        raise Http404("本点没有这个事项")
    return qr_response(page, request)
