"""Plain views of a point's public site (outside Wagtail's page tree)."""
from __future__ import annotations

from django.http import Http404, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

TEXT_SIZE_COOKIE = "yimen_text"
TEXT_SIZES = ("large", "normal")
ONE_YEAR = 365 * 24 * 3600


@require_http_methods(["GET", "POST"])
def text_size(request):
    """适老化: switch large text on or off for every page of this point (a cookie
    on the point's host), then go back where the citizen was. Works without
    JavaScript: the toggle on every page is a plain form."""
    data = request.POST if request.method == "POST" else request.GET
    size = data.get("size")
    if size not in TEXT_SIZES:
        size = "normal" if request.COOKIES.get(TEXT_SIZE_COOKIE) == "large" else "large"
    target = data.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if size == "large":
        response.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=ONE_YEAR, samesite="Lax",
                            secure=request.is_secure())
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax")
    return response


def guide_qr(request, code: str):
    """/items/<code>/qr.svg: Wagtail's page URLs end in a slash and allow no dot,
    so the guide's own `qr.svg` route is reached through this URL instead."""
    from .guide_view import qr_response
    from .models import ItemGuidePage

    page = ItemGuidePage.objects.live().filter(code__iexact=code).select_related("standard_version").first()
    if page is None:
        raise Http404("本点没有这个事项")
    return qr_response(page, request)
