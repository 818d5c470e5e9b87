"""部门窗口 in a point's Wagtail admin: its admins seat staff at departments' desks (cases.desks decides)."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from tenants import access

from . import desks
from .errors import CaseError

DENIED = "只有本服务点及其上级的管理员可以安排部门窗口人员。"


def _point_managed_by(request):
    point = getattr(request, "point", None)
    return point if point is not None and access.may_manage_people(request.user, point) else None


def _denied(request):
    # A page of its own (Wagtail would turn PermissionDenied into a redirect home).
    return TemplateResponse(request, "cases/admin/desks.html", {"denied": DENIED}, status=403)


@require_http_methods(["GET", "POST"])
def desk_list(request):
    point = _point_managed_by(request)
    if point is None:
        return _denied(request)
    status = 200
    if request.method == "POST":
        username, department = request.POST.get("username", ""), request.POST.get("department", "")
        try:
            desk = desks.assign(request.user, point, username, department)
        except CaseError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, f"已安排“{desk.user.username}”到{desk.department}窗口。")
            return redirect("cases_desks")
    return TemplateResponse(request, "cases/admin/desks.html", {
        "point": point, "desks": desks.desks_of(point), "staff": desks.staff_of(point),
        "departments": desks.departments_of(point),
    }, status=status)


@require_http_methods(["GET", "POST"])
def desk_remove(request, desk_id: int):
    point = _point_managed_by(request)
    if point is None:
        return _denied(request)
    desk = desks.desks_of(point).filter(pk=desk_id).first()
    if desk is None:
        raise Http404("本点没有这个部门窗口安排。")
    if request.method == "POST":
        try:
            desks.unassign(request.user, point, desk_id)
        except CaseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已将“{desk.user.username}”移出{desk.department}窗口。")
        return redirect("cases_desks")
    return TemplateResponse(request, "cases/admin/desk_remove.html", {"point": point, "desk": desk})
