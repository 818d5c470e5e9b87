"""部门窗口: which staff of a point sit at which department's desk (分类审批).

A desk belongs to one point and one department, the `department` of a standard
version the point adopts; only someone holding a role at the point itself can
sit there, and someone who loses their last role at the point leaves its desks
(`leave_desks`, on tenants.hooks.role_revoked). cases.access reads the desks.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from standards.models import Adoption
from tenants import access
from tenants.models import PointGroup, ServicePoint

from .errors import CaseError
from .models import DeskAssignment


def departments_of(point: ServicePoint) -> list[str]:
    """The departments of the items the point adopts, by name."""
    return sorted(set(Adoption.objects.of_point(point).values_list("version__department", flat=True)) - {""})


def staff_of(point: ServicePoint):
    """Accounts holding a role at the point itself, active ones, by username."""
    users = PointGroup.objects.filter(point=point).values("group__user")
    return get_user_model().objects.filter(pk__in=users, is_active=True).order_by("username")


def desks_of(point: ServicePoint):
    return DeskAssignment.objects.of_point(point).select_related("user").order_by("department", "user__username")


def _check(by, point: ServicePoint) -> None:
    if not access.may_manage_people(by, point):
        raise CaseError(f"您不是{point.name}或其上级的管理员，不能安排部门窗口人员。")


@transaction.atomic
def assign(by, point: ServicePoint, username: str, department: str) -> DeskAssignment:
    """Seat a member of the point's staff at a department's desk."""
    _check(by, point)
    user = staff_of(point).filter(username=username.strip()).first()
    if user is None:
        raise CaseError(f"“{username}”不是{point.name}的工作人员：请先在「人员与角色」中授予本点角色。")
    department = department.strip()
    if department not in departments_of(point):
        raise CaseError(f"{point.name}采用的事项中没有实施部门“{department}”。")
    if desks_of(point).filter(user=user, department=department).exists():
        raise CaseError(f"“{user.username}”已在{department}窗口，未做任何更改。")
    return DeskAssignment.objects.create(point=point, user=user, department=department)


@transaction.atomic
def unassign(by, point: ServicePoint, desk_id: int) -> DeskAssignment:
    _check(by, point)
    desk = desks_of(point).filter(pk=desk_id).first()
    if desk is None:
        raise CaseError("本点没有这个部门窗口安排，未做任何更改。")
    desk.delete()
    return desk


def leave_desks(sender, point: ServicePoint, user, **kwargs) -> None:
    """A user with no role left at the point leaves its desks (a desk alone grants no work)."""
    if not access.roles_held_at(user, point):
        DeskAssignment.objects.of_point(point).filter(user=user).delete()
