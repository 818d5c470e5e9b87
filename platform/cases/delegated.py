"""Cases decided at a park under a power grant (赋权强园, the legal form of 委托):
which grant a case was decided under, the name its result is issued in (the
county department's, with the park's approval seal), and the 见章盖章 step
some grants ask for — the county department confirms the park's decision,
without reviewing it again, before it may be delivered.

Reads only; the confirmation itself is a step of cases.services
(`confirm_decision`), one event in the case's chain.
"""
from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from powers import lookup
from powers.models import GrantStatus, PowerGrant
from tenants.access import roles_held_at
from tenants.models import Role, ServicePoint, Tier

from .models import Case, DeskAssignment, Status

CONFIRM_ACTION = "confirm_decision"


def grant_of(case: Case) -> PowerGrant | None:
    """The grant the case was (or is being) decided under at its park: of the
    park, the item and the department, covering the applicant, in force on the
    day of the decision (today while undecided). A grant revoked or expired
    since keeps its record, so an old case still finds it."""
    if case.deciding_point.tier != Tier.PARK:
        return None
    moment = case.decided_at or case.received_at
    day = timezone.localdate(moment) if moment else None
    grants = (PowerGrant.objects.filter(grantee_id=case.deciding_point_id, items=case.item_id,
                                        department=case.department)
              .exclude(status=GrantStatus.DRAFT).select_related("grantor", "grantee")
              .order_by("-activated_at", "-pk"))
    if day is not None:
        grants = grants.filter(valid_from__lte=day, valid_to__gte=day)
    for grant in grants:
        if lookup.covers(grant, case.applicant_id_number):
            return grant
    return None


def issuer_of(case: Case, grant: PowerGrant | None) -> str:
    """In whose name the result is issued: under a grant, the county department that delegated."""
    if grant is None:
        return f"{case.deciding_point.name}{case.department}"
    return f"{grant.grantor.name}{grant.department}"


def confirmed(case: Case) -> bool:
    return case.events.filter(action=CONFIRM_ACTION).exists()


def awaiting_confirmation(case: Case) -> PowerGrant | None:
    """The grant whose 见章盖章 the decided case still waits for (None: it may be delivered)."""
    if case.status != Status.DECIDED or case.deciding_point.tier != Tier.PARK:
        return None
    grant = grant_of(case)
    if grant is None or not grant.confirm_by_county or confirmed(case):
        return None
    return grant


def confirmer_role(user, point: ServicePoint | None, grant: PowerGrant) -> str | None:
    """Who confirms for the county department: its desk at the county point, or
    (where the county has no desk for it) the county's window staff and admins."""
    if point is None or point.pk != grant.grantor_id or not user.is_authenticated or not user.is_active:
        return None
    desks = DeskAssignment.objects.of_point(point).filter(department=grant.department)
    if desks.filter(user=user).exists():
        return "desk"
    held = roles_held_at(user, point)
    if desks.exists():
        return str(Role.ADMIN) if Role.ADMIN in held else None
    for role in (Role.CLERK, Role.ADMIN):
        if role in held:
            return str(role)
    return None


def waiting_for(user, point: ServicePoint | None) -> list[Case]:
    """The county's 见章盖章 list: decided cases of parks under this county's grants
    with confirmation, for the departments the user confirms for, not yet confirmed."""
    if point is None or point.tier != Tier.COUNTY:
        return []
    grants = [g for g in PowerGrant.objects.filter(grantor=point, confirm_by_county=True)
              .exclude(status=GrantStatus.DRAFT).select_related("grantor")
              if confirmer_role(user, point, g)]
    if not grants:
        return []
    # Not through Case.objects.visible_to: the county department sees these cases
    # because the grant is its own power (委托), not because they passed its point.
    match = Q()
    for grant in grants:
        match |= Q(deciding_point_id=grant.grantee_id, department=grant.department, item__in=grant.items.all())
    found = (Case.objects.filter(match, status=Status.DECIDED).exclude(events__action=CONFIRM_ACTION)
             .select_related("deciding_point", "origin_point").order_by("decided_at")[:200])
    return [case for case in found if awaiting_confirmation(case)]
