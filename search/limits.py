"""Limits on anonymous search. Every search and every result click writes a
row of the search log (kept SEARCH_LOG_DAYS), so a script could fill the
database: each client address gets a budget per minute for searching,
suggestions and clicks (counted in Redis across every point of the cell),
and a visitor's repeated click on one result counts once a day.

The budgets are generous (settings SEARCH_RATE_LIMITS): a whole township's
citizens may reach the site from one NAT address. The windows are
django-ratelimit's (its rates, "120/m"; each client's window starts at a
moment of its own, so not every budget renews in the same second), but the
counter is kept here in one Redis round trip (yimen.redis_cache count: INCR
and, for a new window, EXPIRE) where its get_usage takes two (add, then incr):
a round trip on every search (issue 16). The client address is the
one `tenants.signin.client_address` reads, honouring X-Forwarded-For only for
the number of proxies YIMEN_TRUSTED_PROXIES says are in front of the app.
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
import zlib
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac

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


_RATE = re.compile(r"(\d+)/(\d*)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 24 * 3600}


def _split_rate(rate: str) -> tuple[int, int]:
    """django-ratelimit's rates: "120/m" is 120 a minute, "10/5m" 10 in five minutes."""
    found = _RATE.fullmatch(rate)
    if found is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiple, unit = found.groups()
    return int(count), int(multiple or 1) * _UNIT[unit]


def _window_end(client: str, period: int, now: int) -> int:
    """When this client's current window ends: windows of `period` seconds,
    shifted per client as django-ratelimit shifts them."""
    end = now - now % period + zlib.crc32(client.encode()) % period
    return end + period if end < now else end


def over_budget(request, name: str) -> int:
    """Count this request against the client's budget `name`; the seconds to
    wait if it is over, else 0. Redis unreachable: not limited (search must
    not fail because its limiter does)."""
    group = f"search.{name}"
    rate = _rate(group, request)
    if rate is None:
        return 0
    limit, period = _split_rate(rate)
    client = client_budget_key(group, request)
    now = int(time.time())
    end = _window_end(client, period, now)
    digest = hashlib.sha1(f"{group}\n{rate}\n{client}".encode()).hexdigest()
    # yimen.redis_cache.RedisCache (settings CACHES): count() is not in Django's cache API.
    counters: Any = caches[settings.RATELIMIT_USE_CACHE]
    try:
        count = counters.count(f"search:budget:{digest}:{end}", end - now + 5)
    except Exception:  # the cache backend's connection errors
        log.warning("search rate limit not checked: the cache is unreachable", exc_info=True)
        return 0
    return max(1, end - now) if count > limit else 0


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
