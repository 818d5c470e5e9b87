"""Who may act where.

A user acts at a point through a role held there, or through an admin,
supervisor or central-admin role held at a point above it. Every check of
that goes through this module.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .models import ROLES_REACHING_DOWN, PointGroup, Role, ServicePoint, Tier

ENTRY_SALT = "yimen.tenants.enter"
ENTRY_MAX_AGE = 60  # seconds: followed at once, by a redirect and one click to confirm


def authority_groups(point: ServicePoint) -> QuerySet[PointGroup]:
    """The role groups whose members may act at `point`."""
    return PointGroup.objects.filter(
        Q(point=point) | Q(point__in=point.ancestors(), role__in=ROLES_REACHING_DOWN)
    )


# While a request is served (tenants.middleware.PointMiddleware), the roles
# asked are kept: an admin page asks six or more times (the sign-in check,
# each menu item, the view). Outside a request every question reads the
# database, so a task or a script holding a user object never sees old roles.
_kept_roles: ContextVar[dict | None] = ContextVar("yimen_kept_roles", default=None)


@contextmanager
def roles_kept_for_request():
    token = _kept_roles.set({})
    try:
        yield
    finally:
        _kept_roles.reset(token)


def _roles(user, key: tuple, groups: Callable[[], QuerySet[PointGroup]]) -> set[str]:
    kept = _kept_roles.get()
    if kept is None:
        return set(groups().values_list("role", flat=True))
    key = (user.pk, *key)
    if key not in kept:
        kept[key] = frozenset(groups().values_list("role", flat=True))
    return set(kept[key])


def forget_roles() -> None:
    """After a change of anyone's groups: the rest of the request asks the database again."""
    kept = _kept_roles.get()
    if kept is not None:
        kept.clear()


def roles_at(user, point: ServicePoint | None) -> set[str]:
    if point is None or not point.pk or not user.is_authenticated or not user.is_active:
        return set()
    return _roles(user, ("at", point.pk), lambda: authority_groups(point).filter(group__user=user))


def can_act_at(user, point: ServicePoint | None) -> bool:
    return bool(roles_at(user, point))


def roles_held_at(user, point: ServicePoint | None) -> set[str]:
    """The roles `user` holds at `point` itself (none inherited from above)."""
    if point is None or not point.pk or not user.is_authenticated:
        return set()
    return _roles(user, ("held", point.pk), lambda: PointGroup.objects.filter(point=point, group__user=user))


def points_user_can_enter(user, source: ServicePoint) -> QuerySet[ServicePoint]:
    """Points below `source` that `user` may open from there."""
    if not roles_held_at(user, source) & set(ROLES_REACHING_DOWN):
        return ServicePoint.objects.none()
    return source.descendants().select_related("parent")


def issue_entry_token(user, *, source: ServicePoint | None, target: ServicePoint) -> str:
    if source is None or not points_user_can_enter(user, source).filter(pk=target.pk).exists():
        raise PermissionDenied("您在本服务点没有进入该下级服务点的权限。")
    payload = {"u": user.pk, "t": target.schema_name, "n": secrets.token_urlsafe(12)}
    return signing.dumps(payload, salt=ENTRY_SALT)


def _entry_payload(token: str, target: ServicePoint) -> dict | None:
    try:
        payload = signing.loads(token, salt=ENTRY_SALT, max_age=ENTRY_MAX_AGE)
    except signing.BadSignature:
        return None
    return payload if payload.get("t") == target.schema_name else None


def _entry_user(payload: dict, target: ServicePoint):
    user = get_user_model().objects.filter(pk=payload["u"], is_active=True).first()
    if user is None or not can_act_at(user, target):
        return None
    return user


def _nonce_key(payload: dict) -> str:
    return f"entry-token:{payload['n']}"


def entry_token_user(token: str, *, target: ServicePoint | None):
    """Whom a valid, unused token for `target` would sign in, without using
    it: the confirmation page names the account before anyone signs in."""
    if target is None:
        return None
    payload = _entry_payload(token, target)
    if payload is None or cache.get(_nonce_key(payload)) is not None:
        return None
    return _entry_user(payload, target)


def redeem_entry_token(token: str, *, target: ServicePoint | None):
    """The user a valid, unused token for `target` names, or None; uses the token."""
    if target is None:
        return None
    payload = _entry_payload(token, target)
    if payload is None:
        return None
    # One use only: the first redemption claims the nonce.
    if not cache.add(_nonce_key(payload), 1, ENTRY_MAX_AGE * 2):
        return None
    return _entry_user(payload, target)


def parents_user_may_onboard_under(user, source: ServicePoint | None) -> QuerySet[ServicePoint]:
    """Where `user`, working at `source`, may add a new point.

    Central admins of a county add townships and parks under it and villages
    under its townships; a township's admin adds villages under it.
    """
    if source is None:
        return ServicePoint.objects.none()
    held = roles_held_at(user, source)
    if source.tier == Tier.COUNTY and Role.CENTRAL_ADMIN in held:
        return source.network().filter(tier__in=[Tier.COUNTY, Tier.TOWNSHIP])
    if source.tier == Tier.TOWNSHIP and Role.ADMIN in held:
        return ServicePoint.objects.filter(pk=source.pk)
    return ServicePoint.objects.none()


# --- what a role may do where: every app's permission checks ---------------
# Views and admin hooks ask these; none is defined in a view module.
CATALOGUE_MANAGERS = {Role.ADMIN, Role.CENTRAL_ADMIN}
SEARCH_STATS_READERS = {Role.EDITOR, Role.ADMIN, Role.SUPERVISOR, Role.CENTRAL_ADMIN}


def is_central_admin_at(user, point: ServicePoint | None) -> bool:
    """A central admin, at their county point only (not inherited below it)."""
    return (point is not None and point.pk is not None and point.tier == Tier.COUNTY
            and Role.CENTRAL_ADMIN in roles_held_at(user, point))


def may_manage_standards(user, point: ServicePoint | None) -> bool:
    """事项标准库 and the synonym table: the county's central admins."""
    return is_central_admin_at(user, point)


def may_lift_sign_in_locks(user, point: ServicePoint | None) -> bool:
    """登录锁定: the county's central admins."""
    return is_central_admin_at(user, point)


def may_manage_catalogue(user, point: ServicePoint | None) -> bool:
    """本点事项清单 (adopt and drop items): the point's admins and those above."""
    return bool(roles_at(user, point) & CATALOGUE_MANAGERS)


def may_read_search_stats(user, point: ServicePoint | None) -> bool:
    return bool(roles_at(user, point) & SEARCH_STATS_READERS)


PEOPLE_MANAGERS = {Role.ADMIN, Role.CENTRAL_ADMIN}
WORKDAY_WARNED = {Role.SUPERVISOR, Role.CENTRAL_ADMIN}


def may_manage_people(user, point: ServicePoint | None) -> bool:
    """人员与角色 and 部门窗口 (grant and revoke roles, staff the desks): the
    point's admins and the admins and central admins above it."""
    return bool(roles_at(user, point) & PEOPLE_MANAGERS)


def may_grant_central_admin(user, point: ServicePoint | None) -> bool:
    """The central-admin role is granted at the county, by its central admins only."""
    return is_central_admin_at(user, point)


def may_edit_workday_calendar(user, point: ServicePoint | None) -> bool:
    """工作日历 (holidays, make-up workdays, a year confirmed): the county's central admins."""
    return is_central_admin_at(user, point)


def sees_workday_warning(user, point: ServicePoint | None) -> bool:
    """The warning that a year's official holiday schedule is missing: supervisors
    and central admins (here or above), who answer for time limits."""
    return bool(roles_at(user, point) & WORKDAY_WARNED)
