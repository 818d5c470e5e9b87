"""What the clerk's workbench shows a user: whether it is theirs at all, the
steps they may take on a case now, and a case as a list row with its personal
data masked. Reads only; every change goes through cases.services."""
from __future__ import annotations

from dataclasses import dataclass

from django_fsm import can_proceed

from tenants.access import roles_at
from tenants.models import Role, ServicePoint

from . import access, identity, routing, services
from .errors import CaseError
from .models import ApplicantKind, Case, DeskAssignment

# Roles that read a point's cases without working its window (oversight).
OVERSEEING = {Role.ADMIN, Role.SUPERVISOR, Role.CENTRAL_ADMIN}
# (action, the Case transition it takes, label) in the order the page offers them.
STEPS = [
    ("receive_online", "receive", "网上申请收件（预审通过）"),
    ("hand_up", "hand_up", "转办上报"), ("return_down", "return_down", "退回"), ("accept", "accept", "受理"),
    ("accept_with_tolerance", "accept", "容缺受理"), ("refuse", "refuse", "不予受理"),
    ("request_supplement", "request_supplement", "一次性告知补正"),
    ("supplement_received", "supplement_received", "补正材料收齐"), ("start_review", "start_review", "开始审查"),
    ("start_special", "start_special", "特别程序"), ("end_special", "end_special", "结束特别程序"),
    ("decide", "decide", "决定"), ("deliver", "deliver", "送达"), ("close", "close", "办结"),
    ("withdraw", "withdraw", "撤回"),
]
LABELS = {action: label for action, _, label in STEPS}


def is_desk_staff(user, point: ServicePoint | None) -> bool:
    return point is not None and user.is_authenticated and \
        DeskAssignment.objects.of_point(point).filter(user=user).exists()


def may_use(user, point: ServicePoint | None) -> bool:
    """The workbench (办件 menu): window staff, desk staff, and those who oversee the point."""
    if point is None or not user.is_authenticated or not user.is_active:
        return False
    return access.window_role(user, point) is not None or is_desk_staff(user, point) or \
        bool(roles_at(user, point) & OVERSEEING)


def works_inbox(user, point: ServicePoint | None) -> bool:
    """The point's inbox: those who act on the cases it holds."""
    return point is not None and (access.window_role(user, point) is not None or is_desk_staff(user, point))


def sees_queue(user, point: ServicePoint | None) -> bool:
    """部门队列: at a point with desks, its desk staff and its admins."""
    if point is None or not DeskAssignment.objects.of_point(point).exists():
        return False
    return is_desk_staff(user, point) or access.window_role(user, point) == Role.ADMIN


def allowed_steps(user, point: ServicePoint, case: Case) -> list[str]:
    """The steps the state machine allows now and `user` may take at `point` (cases.access)."""
    allowed = []
    missing = services.missing_materials(case)
    for action, method, _ in STEPS:
        if not can_proceed(getattr(case, method)):
            continue
        try:
            access.role_for(user, point, case, action)
        except CaseError:
            continue
        if action == "hand_up" and routing.next_hop(case.holder, case.deciding_point) is None:
            continue
        if action == "return_down" and services.pending_upward(case) is None:
            continue
        if action == "accept" and missing:
            continue
        if action == "accept_with_tolerance" and not any(row["tolerable"] for row in missing):
            continue
        allowed.append(action)
    return allowed


@dataclass(frozen=True)
class Row:
    """A case in a list: never an unmasked ID number, phone or person's name."""

    case: Case
    name: str
    id_number: str
    phone: str
    days_left: int | None
    notify_days_left: int | None
    reason: str = ""
    new: bool = False


def row(case: Case, reason: str = "", new: bool = False) -> Row:
    name = case.applicant_name if case.applicant_kind == ApplicantKind.ENTERPRISE else \
        identity.mask_name(case.applicant_name)  # company names are public
    return Row(case, name, identity.mask_id(case.applicant_id_number), identity.mask_phone(case.phone),
               services.days_left(case), services.notify_days_left(case), reason, new)
