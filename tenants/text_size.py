"""适老化: the large-text toggle, for a point's site (yimen.urls_tenant) and the
network host's citizen pages (online.account_urls) alike. The choice is a
cookie on the host it was made on; templates read it (cms, online/base.html)."""
from __future__ import annotations

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

TEXT_SIZE_COOKIE = "yimen_text"
TEXT_SIZES = ("large", "normal")
ONE_YEAR = 365 * 24 * 3600


@require_http_methods(["GET", "POST"])
def text_size(request):
    """Switch large text on or off for every page of this host, then go back
    where the citizen was. Works without JavaScript: the toggle is a plain form."""
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
