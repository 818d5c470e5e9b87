"""Signing in is throttled per account and per client address (django-axes).

Failed attempts are rows of the public schema (axes is a shared app), so an
account locked at one point's /admin/login/ is locked at every point's host:
accounts are network-wide. An account is locked after AXES_FAILURE_LIMIT
failures, a client address after SIGNIN_ADDRESS_FAILURE_LIMIT (higher: a
township office signs in from behind one NAT address), each for
AXES_COOLOFF_TIME after its last failure. A lock is lifted by waiting, by a
central admin (tenants.lockouts) or by `manage.py axes_reset_username` /
`axes_reset_ip`.
"""
from __future__ import annotations

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpResponse
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return f"登录失败次数过多，已暂时锁定。请 {minutes} 分钟后再试，或请县中心管理员解锁。"


class SignInThrottle(AxesStandaloneBackend):
    """Refuses a locked account or address before any password is checked.

    Every sign-in over the network (Wagtail's login form) passes its request.
    A call without one (the test client's login(), the shell) names no client
    address to count against; axes would raise, so it is left to the next
    backend, unthrottled, as a local caller needs no throttling.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _failures(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class SignInHandler(AxesDatabaseHandler):
    """axes' database handler, with a limit of its own for client addresses."""

    def get_failures(self, request, credentials=None) -> int:
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        by_account = _failures(recent.filter(username=get_client_username(request, credentials)))
        by_address = _failures(recent.filter(ip_address=request.axes_ip_address))
        # axes compares one number with AXES_FAILURE_LIMIT: the address's count is
        # scaled so that it reaches that limit exactly at the address limit.
        account_limit, address_limit = settings.AXES_FAILURE_LIMIT, settings.SIGNIN_ADDRESS_FAILURE_LIMIT
        return max(by_account, by_address * account_limit // address_limit)


def client_address(request) -> str | None:
    """The client's address as the outermost trusted proxy saw it.

    Each proxy (the compose nginx, the Kubernetes ingress) appends the address
    it saw to X-Forwarded-For, so with N trusted proxies the client is the
    N-th entry from the right; whatever stands left of it the client wrote
    itself. With none trusted (development) the header is ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = settings.SIGNIN_TRUSTED_PROXIES
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote  # not through the proxies (a probe or a port-forward)
    candidate = hops[-trusted] if len(hops) >= trusted else hops[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The login page itself (its form says why, see LoginForm), as 429.

    Keeping the page's response keeps the headers the inner middleware set
    on it (content security policy, frame options).
    """
    if original_response is None:
        return HttpResponse(lockout_message(), status=429, content_type="text/plain; charset=utf-8")
    original_response.status_code = 429
    return original_response


class LoginForm(WagtailLoginForm):
    """Wagtail's login form; a locked account or address is told so.

    A wrong username and a wrong password keep Wagtail's one message.
    """

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(lockout_message(), code="locked_out") from None
            raise


def client_budget_key(group: str, request) -> str:
    """What a per-address budget (django-ratelimit `key=`) counts against: the
    client address; for IPv6 its /64, as one subscriber holds a whole /64 and
    could otherwise rotate through it. Used by search's and the progress page's budgets."""
    address = client_address(request) or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
