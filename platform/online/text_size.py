"""适老化 on the network host: the large-text toggle of online/base.html.

The same cookie and behaviour as a point's site (cms.views.text_size), which
online may not import (layers); the cookie is per host, so the citizen's choice
here is kept for every page of the network host.
"""
from __future__ import annotations

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

TEXT_SIZE_COOKIE = "yimen_text"
ONE_YEAR = 365 * 24 * 3600


@require_http_methods(["GET", "POST"])
def text_size(request):
    data = request.POST if request.method == "POST" else request.GET
    size = data.get("size")
    if size not in ("large", "normal"):
        size = "normal" if request.COOKIES.get(TEXT_SIZE_COOKIE) == "large" else "large"
    target = data.get("next") or "/"
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
