"""Limits on anonymous search. Every search and every result click writes a
row of the search log (kept SEARCH_LOG_DAYS), so a script could fill the
database: each client address gets a budget per minute for searching,
suggestions and clicks (django-ratelimit, counted in Redis across every point
of the cell), and a visitor's repeated click on one result counts once a day.

The budgets are generous (settings SEARCH_RATE_LIMITS): a whole township's
citizens may reach the site from one NAT address. The client address is the
one `tenants.signin.client_address` reads, honouring X-Forwarded-For only for
the number of proxies YIMEN_TRUSTED_PROXIES says are in front of the app.
"""
from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django_ratelimit.core import get_usage

from tenants.signin import client_address, client_budget_key

log = logging.getLogger(__name__)


def _address(request) -> str:
    return client_address(request) or "unknown"


def _rate(group: str, request) -> str | None:
    """The budget of a group ("search.search" …), None for none: a rate of
    "off" or an address in SEARCH_RATE_EXEMPT."""
    if _address(request) in settings.SEARCH_RATE_EXEMPT:
        return None
    rate = settings.SEARCH_RATE_LIMITS.get(group.removeprefix("search."), "")
    return None if rate.strip().lower() in ("", "off", "0") else rate.strip()


def over_budget(request, name: str) -> int:
    """Count this request against the client's budget `name`; the seconds to
    wait if it is over, else 0. Redis unreachable: not limited (search must
    not fail because its limiter does)."""
    try:
        usage = get_usage(request, group=f"search.{name}", key=client_budget_key, rate=_rate, increment=True)
    except Exception:  # the cache backend's connection errors
        log.warning("search rate limit not checked: the cache is unreachable", exc_info=True)
        return 0
    if not usage or not usage["should_limit"]:
        return 0
    return max(1, int(usage["time_left"]))


def _message(wait: int) -> str:
    return f"请求过于频繁，请 {wait} 秒后再试。"


def limited(name: str, *, api: bool):
    """View decorator: over the budget `name`, answer 429 with Retry-After —
    JSON for the API, a short page for a citizen's browser — and run nothing."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            wait = over_budget(request, name)
            if not wait:
                return view(request, *args, **kwargs)
            if api:
                response = JsonResponse({"error": {"message": _message(wait)}}, status=429,
                                        json_dumps_params={"ensure_ascii": False})
            else:
                response = render(request, "search/too_many.html", {"message": _message(wait)}, status=429)
            response["Retry-After"] = str(wait)
            return response

        return wrapped

    return decorator


def visitor(request) -> str:
    """Who clicked, for counting a click once: the browser's session if it has
    one, else its address and user agent; either as a keyed hash, so neither a
    session id nor an address is written anywhere."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        who = "session\n" + session.session_key
    else:
        who = f"client\n{_address(request)}\n{request.META.get('HTTP_USER_AGENT', '')[:300]}"
    return salted_hmac("search.click.visitor", who).hexdigest()[:32]
