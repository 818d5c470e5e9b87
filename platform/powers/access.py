"""Who may see and change grants, where (the views and menus ask these)."""
from __future__ import annotations

from tenants.access import is_central_admin_at, roles_held_at
from tenants.models import Role, ServicePoint, Tier

from .lookup import grants_visible_to
from .models import PowerGrant


def may_manage(user, point: ServicePoint | None) -> bool:
    """Draft, activate, suspend, renew, revoke, import: a central admin at the county point."""
    return is_central_admin_at(user, point)


def may_read(user, point: ServicePoint | None) -> bool:
    """The county's central admins, and a park's admins (read-only, their own grants)."""
    if may_manage(user, point):
        return True
    return point is not None and point.tier == Tier.PARK and Role.ADMIN in roles_held_at(user, point)


def grants_for(user, point: ServicePoint | None):
    """The grants `user` may read at `point` (none if they may read none)."""
    if not may_read(user, point):
        return PowerGrant.objects.none()
    return grants_visible_to(point)
