"""What happens to cases in flight when a power grant stops (suspended,
revoked, expired): powers sends `powers.hooks.grant_ended` inside its
transaction and this receiver (connected in CasesConfig.ready()) acts on it.

- OnEnd.FINISH: the cases the park holds or decides finish there; nothing moves.
- OnEnd.RETURN: every open case the grant sent to the park and not yet decided
  goes back to the county department: its deciding point becomes the county
  (by the tiers again), a case the park holds is handed to the county (a
  pending handoff the county takes when it acts), and each case gets one event
  in its chain saying why. New cases route to the county by themselves, since
  routing finds no grant in force.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from powers.lookup import covers
from powers.models import OnEnd

from . import routing, services
from .models import Case, Handoff, HandoffStatus, Status

# Before the decision: the park's work can still be taken over by the county.
UNDECIDED = (Status.APPLIED, Status.RECEIVED, Status.ACCEPTED, Status.SUPPLEMENT, Status.REVIEW, Status.SPECIAL)
HOW = {"suspended": "暂停", "revoked": "撤销", "expired": "到期"}


def cases_in_flight(grant):
    """Open, undecided cases of the grant's items that the grant sent to its park."""
    rows = Case.objects.filter(deciding_point=grant.grantee, item__in=grant.items.all(), department=grant.department,
                               status__in=UNDECIDED).select_related("version", "holder", "origin_point")
    return [case for case in rows if covers(grant, case.applicant_id_number)]


def on_grant_ended(sender, grant, how: str, **kwargs) -> list[Case]:
    """Receiver of powers.hooks.grant_ended: returns the cases moved (none when they finish at the park)."""
    if grant.on_end != OnEnd.RETURN:
        return []
    moved = []
    actor = services.Actor(None, grant.grantee)  # the park lets the case go: the county gets an inbox notice
    note = (f"赋权（{grant.instrument_number}）已{HOW.get(how, '终止')}，"
            f"本件退回{grant.grantor.name}{grant.department}办理")
    for case in cases_in_flight(grant):
        moved.append(_return_to_county(case, grant, actor, note))
    return moved


def _return_to_county(case: Case, grant, actor, note: str) -> Case:
    county = routing.route(case.version, case.origin_point).deciding_point
    park = grant.grantee

    def change(locked: Case) -> None:
        locked.deciding_point = county
        if locked.holder_id == park.pk:
            now = timezone.now()
            # The park's pending handoff (from the county) is over; the county takes the case.
            Handoff.objects.filter(case=locked, to_point=park, upward=True,
                                   status=HandoffStatus.PENDING).update(status=HandoffStatus.TAKEN, answered_at=now)
            Handoff.objects.create(case=locked, from_point=park, to_point=county, upward=True, sent_at=now,
                                   note=note[:300])
            locked.holder = county
            if county.pk not in locked.passed_points:
                locked.passed_points = [*locked.passed_points, county.pk]

    with transaction.atomic():
        return services.record_step(case.pk, actor, "grant_return", "system", change, note=note)
