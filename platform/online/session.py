"""Who is signed in on the network's host: a citizen's account in the session.

Citizens never get a Django staff login: the session holds only the account's
id, set after a one-time code was checked (online.signin) with a fresh
session key, so a session made before signing in cannot be carried over.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect

from .models import CitizenAccount

SESSION_KEY = "online_account_id"


def sign_in(request, account: CitizenAccount) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = account.pk


def sign_out(request) -> None:
    request.session.flush()


def current_account(request) -> CitizenAccount | None:
    """The signed-in account (cached on the request), or None."""
    if not hasattr(request, "_online_account"):
        account_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        account = None
        if account_id is not None:
            account = CitizenAccount.objects.filter(pk=account_id, user__is_active=True).select_related("user").first()
        request._online_account = account
    return request._online_account


def citizen_required(view=None, *, verified: bool = False):
    """The view needs a signed-in account (and, with verified=True, its real-name step done)."""
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            account = current_account(request)
            if account is None:
                return redirect(f"/login/?{urlencode({'next': request.get_full_path()})}")
            if verified and not account.verified:
                return redirect(f"/account/verify/?{urlencode({'next': request.get_full_path()})}")
            return view(request, *args, **kwargs)
        return wrapped
    return decorate(view) if view is not None else decorate
