"""Sign-in locks a county's central admins can see and lift.

A central admin sees the locked accounts that hold a role in the county's
network and every locked client address (an office's NAT address is no
county's own). Lifting a lock deletes its failed attempts (axes' own reset).
"""
from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Sum
from django.utils import timezone

from .models import ServicePoint

log = logging.getLogger(__name__)


@dataclass
class Lock:
    key: str  # the username or the client address
    failures: int
    until: datetime


def _locked(field: str, limit: int) -> list[Lock]:
    cool_off = settings.AXES_COOLOFF_TIME
    rows = (AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off)
            .values(field).annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit).order_by("-last"))
    return [Lock(row[field], row["failures"], row["last"] + cool_off) for row in rows if row[field]]


def _network_usernames(point: ServicePoint, usernames: list[str]) -> set[str]:
    return set(get_user_model().objects.filter(
        username__in=usernames, groups__point_group__point__in=point.network(),
    ).values_list("username", flat=True))


def locked_accounts(point: ServicePoint) -> list[Lock]:
    locks = _locked("username", settings.AXES_FAILURE_LIMIT)
    mine = _network_usernames(point, [lock.key for lock in locks])
    return [lock for lock in locks if lock.key in mine]


def locked_addresses() -> list[Lock]:
    return _locked("ip_address", settings.SIGNIN_ADDRESS_FAILURE_LIMIT)


def lift_account_lock(point: ServicePoint, username: str, *, by) -> bool:
    """False when the account is not one of the county's (nothing is changed)."""
    if not _network_usernames(point, [username]):
        return False
    count = AxesProxyHandler.reset_attempts(username=username)
    log.warning("sign-in lock lifted: account %s by %s at %s (%d attempts)", username, by.username,
                point.slug, count)
    return True


def lift_address_lock(point: ServicePoint, address: str, *, by) -> bool:
    """False for anything but an address (an empty one would make axes reset every lock)."""
    try:
        address = str(ipaddress.ip_address(address))
    except ValueError:
        return False
    count = AxesProxyHandler.reset_attempts(ip_address=address)
    log.warning("sign-in lock lifted: address %s by %s at %s (%d attempts)", address, by.username,
                point.slug, count)
    return True
