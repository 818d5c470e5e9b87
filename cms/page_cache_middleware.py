"""Citizen pages from the page cache (cms.page_cache), with HTTP caching headers.

Placed right after the metrics middleware, before the point lookup: a stored
page is answered without the domain query, the session, or Wagtail's routing
(one Redis round trip). Which schema a host belongs to is remembered per
process for a minute after a request through the full stack has found it.

Only Wagtail's pages (wagtail.views.serve) are stored, and only:
- for a GET with no session cookie (an editor is always signed in through one,
  so neither can an editor's page be stored nor a stored page reach an editor);
- answers 200 that set no cookie (a CSRF token used, messages, a session all
  set one) and say nothing against caching themselves.
Headers: Cache-Control public, max-age=0 and a short s-maxage (browsers ask
again, shared caches may keep it), and an ETag for those (an
If-None-Match naming it gets a 304); private, no-store for every other page
Wagtail serves (signed-in users included); Vary: Cookie, Accept-Language.
"""
from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language_from_request
from redis.exceptions import RedisError

from tenants.text_size import TEXT_SIZE_COOKIE

from . import page_cache

# Paths that are never a Wagtail page on a point's host (yimen.urls_tenant): no lookup for them.
NOT_PAGES = ("/admin/", "/static/", "/media/", "/documents/", "/api/", "/search/", "/text-size/",
             "/enter/", "/go/", "/progress/", "/figures/")
HINT_SECONDS = 60
MAX_QUERY = 256  # longer query strings are served, never stored (no unbounded variants)
# Headers a stored answer does not carry over (the server adds its own).
NOT_STORED = {"set-cookie", "date", "server"}
_hosts: dict[str, tuple[str, str, float]] = {}  # host → (schema, county code, valid until)


def _is_wagtail_serve(view_func) -> bool:
    return getattr(view_func, "__module__", "") == "wagtail.views" and view_func.__name__ == "serve"


def _matches(request, tag: str) -> bool:
    wanted = request.META.get("HTTP_IF_NONE_MATCH")
    return bool(wanted) and (wanted.strip() == "*" or tag in parse_etags(wanted))


def _not_modified(headers) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    for name, value in headers:
        if name.lower() in ("etag", "cache-control", "vary", "content-language"):
            response[name] = value
    return response


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._page_cache = None
        if (request.method == "GET" and settings.SESSION_COOKIE_NAME not in request.COOKIES
                and not request.path.startswith(NOT_PAGES)
                and len(request.META.get("QUERY_STRING", "")) <= MAX_QUERY):
            try:
                host = request.get_host()
            except DisallowedHost:
                host = None
            if host:
                key = page_cache.variant(host, request.scheme, request.get_full_path(),
                                         request.COOKIES.get(TEXT_SIZE_COOKIE) == "large",
                                         get_language_from_request(request))
                request._page_cache = {"host": host, "variant": key}
                hint = _hosts.get(host)
                if hint and hint[2] > time.monotonic():
                    try:
                        entry = page_cache.lookup(hint[0], hint[1], key)
                    except RedisError:  # Redis away: the page is made as if never cached
                        entry = None
                    if entry is not None:
                        return self._answer(request, entry)
        response = self.get_response(request)
        return self._finish(request, response)

    def process_view(self, request, view_func, view_args, view_kwargs):
        point = getattr(request, "point", None)
        if point is not None and _is_wagtail_serve(view_func):
            # Read before the page is rendered: a change committed meanwhile bumps past them.
            try:
                request._page_gens = page_cache.generations(point.schema_name, point.county_code)
            except RedisError:
                request._page_gens = None
        return None

    @staticmethod
    def _answer(request, entry):
        headers = entry["headers"]
        tag = next(value for name, value in headers if name == "ETag")
        if _matches(request, tag):
            return _not_modified(headers)
        response = HttpResponse(entry["body"])
        for name, value in headers:
            response[name] = value
        return response

    def _finish(self, request, response):
        gens = getattr(request, "_page_gens", False)
        if gens is False:  # not a Wagtail page
            return response
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        variant = request._page_cache
        user = getattr(request, "user", None)
        storable = (
            variant is not None and gens is not None and response.status_code == 200 and not response.streaming
            # A CSRF token used, messages or a session touched all show up as a cookie set.
            and not response.cookies
            and not (user is not None and user.is_authenticated)
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
        )
        if not storable:
            if response.status_code == 200:
                patch_cache_control(response, private=True, no_store=True)
            return response
        point = request.point
        tag = page_cache.etag(gens, response.content)
        response["ETag"] = tag
        # Browsers ask again every time (a 304 from Redis when nothing changed), so a citizen
        # sees a revoked grant or a new guide on the next view; shared caches (infra/compose's
        # nginx, a CDN) may answer for MAX_AGE seconds without asking.
        patch_cache_control(response, public=True, max_age=0, s_maxage=page_cache.MAX_AGE)
        headers = [(name, value) for name, value in response.items() if name.lower() not in NOT_STORED]
        try:
            page_cache.store(point.schema_name, variant["variant"], gens, headers, response.content)
        except RedisError:
            pass
        _hosts[variant["host"]] = (point.schema_name, point.county_code, time.monotonic() + HINT_SECONDS)
        if _matches(request, tag):
            return _not_modified(headers)
        return response
