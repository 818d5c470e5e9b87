"""Who may do what to a case, and where (tenants.access answers the roles).

- At the window (收件, 转办, 退回, 补正, 送达, 办结, 撤回): a clerk or admin who
  holds that role at the point that holds the case. Roles inherited from above
  do not count: a county admin does not work a village's window.
- The legal decisions (受理, 不予受理, 审查, 特别程序, 决定): staff of the deciding
  point; where the point has desks for the case's department (分类审批 at the
  county), only that department's desk staff or the point's admin.
- Reading: the points a case passed through and their supervisors above
  (`Case.objects.visible_to`). Personal data unmasked: only window and desk
  staff of a point the case passed through, on the case's own page.
"""
from __future__ import annotations

from tenants.access import roles_held_at
from tenants.models import Role, ServicePoint

from .errors import CaseError
from .models import Case, DeskAssignment

WINDOW_ROLES = (Role.CLERK, Role.ADMIN)
# The steps only the deciding point takes.
DECISIONS = ("accept", "accept_with_tolerance", "refuse", "start_review", "start_special", "end_special", "decide")


def window_role(user, point: ServicePoint) -> str | None:
    """The role `user` works the window of `point` in, if any."""
    held = roles_held_at(user, point)
    for role in WINDOW_ROLES:
        if role in held:
            return str(role)
    return None


def may_open_cases(user, point: ServicePoint | None) -> bool:
    return point is not None and window_role(user, point) is not None


def has_desks(point: ServicePoint, department: str) -> bool:
    return DeskAssignment.objects.of_point(point).filter(department=department).exists()


def at_desk(user, point: ServicePoint, department: str) -> bool:
    return DeskAssignment.objects.of_point(point).filter(user=user, department=department).exists()


def role_for(user, point: ServicePoint, case: Case, action: str) -> str:
    """The role in which `user` at `point` may take `action` on `case`; CaseError if none."""
    if not user.is_authenticated or not user.is_active:
        raise CaseError("请先登录。")
    if case.holder_id != point.pk:
        raise CaseError(f"办件 {case.number} 现在由{case.holder.name}办理，{point.name}不能操作。")
    role = window_role(user, point)
    if action in DECISIONS:
        if case.deciding_point_id != point.pk:
            raise CaseError(f"{point.name}不是“{case.item_name}”的决定机关，只能转办或退回。")
        if has_desks(point, case.department):
            if at_desk(user, point, case.department):
                return "desk"
            if role == Role.ADMIN:
                return role
            raise CaseError(f"该办件由{case.department}窗口办理，您不在{case.department}窗口人员名单中。")
    if role is None and case.deciding_point_id == point.pk and at_desk(user, point, case.department):
        return "desk"
    if role is None:
        raise CaseError(f"您在{point.name}没有窗口人员或管理员角色，不能办理办件。")
    return role


def may_see_personal_data(user, point: ServicePoint | None, case: Case) -> bool:
    """Unmasked ID numbers and phones: window or desk staff of a point the case passed through."""
    if point is None or point.pk not in case.passed_points:
        return False
    return window_role(user, point) is not None or DeskAssignment.objects.of_point(point).filter(user=user).exists()
