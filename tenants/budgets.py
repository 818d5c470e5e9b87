"""Budgets of anonymous requests (django-ratelimit counters in the cell's Redis).

`spend(request, group, key, rate)` counts one request against a budget and
tells how long to wait when it is spent. A budget is named by its group and
counted per key: the client address (`tenants.signin.client_budget_key`, the
default) or any value the caller gives (a phone number, a case number). Redis
unreachable: not limited, so a page never fails because its limiter does.
Used by the progress lookup and its public API (cases.progress_views) and
the network host's sign-in by code (online.account_views); search.limits
keeps its own, with its exempt addresses.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django_ratelimit.core import get_usage

from .signin import client_budget_key

log = logging.getLogger(__name__)


def _off(rate: str | None) -> bool:
    return not rate or rate.strip().lower() in ("off", "0")


def spend(request, group: str, rate: str | None, key: str | Callable | None = None) -> int:
    """Count this request against the budget `group` (a django-ratelimit rate
    such as "10/m"; "off" for none) per `key` (a value, or a function of
    (group, request); the client address when None). The seconds to wait if
    the budget is spent, else 0."""
    if rate is None or _off(rate):
        return 0
    if key is None:
        key_fn = client_budget_key
    elif callable(key):
        key_fn = key
    else:
        value = str(key)

        def key_fn(group: str, request) -> str:
            return value
    try:
        usage = get_usage(request, group=group, key=key_fn, rate=rate.strip(), increment=True)
    except Exception:  # the cache backend's connection errors
        log.warning("budget %s not checked: the cache is unreachable", group, exc_info=True)
        return 0
    if not usage or not usage["should_limit"]:
        return 0
    return max(1, int(usage["time_left"]))
