"""人员与角色: a point's admins grant and revoke roles there (tenants.roles decides)."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from . import access, roles
from .models import Role
from .role_forms import GrantRoleForm

DENIED = "只有本服务点及其上级的管理员可以管理本点人员和角色。"


def _denied(request):
    # A page of its own (Wagtail would turn PermissionDenied into a redirect home).
    return TemplateResponse(request, "tenants/admin/people.html", {"denied": DENIED}, status=403)


@require_http_methods(["GET", "POST"])
def people(request):
    point = getattr(request, "point", None)
    if point is None or not access.may_manage_people(request.user, point):
        return _denied(request)
    offered = [(role, Role(role).label) for role in roles.grantable_roles(request.user, point)]
    form = GrantRoleForm(request.POST or None, roles=offered)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                if form.creates_account:
                    user = roles.create_and_grant(request.user, point, d["username"], d["full_name"],
                                                  d["password"], d["role"])
                else:
                    user = roles.grant(request.user, point, d["username"], d["role"])
            except roles.RoleError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已授予“{user.username}”{point.name}的{Role(d['role']).label}角色。")
                return redirect("yimen_people")
        else:
            messages.error(request, "请检查下面标出的内容，未做任何更改。")
        status = 400
    return TemplateResponse(request, "tenants/admin/people.html", {
        "point": point, "form": form, "staff": roles.staff_at(point), "revocable": {r for r, _ in offered},
        "changes": roles.role_changes(point),
    }, status=status)


@require_http_methods(["GET", "POST"])
def revoke(request, user_id: int, role: str):
    point = getattr(request, "point", None)
    if point is None or not access.may_manage_people(request.user, point):
        return _denied(request)
    user = get_object_or_404(get_user_model(), pk=user_id)
    # Only someone who holds this role at this very point: nothing about other points' staff.
    if role not in Role.values or role not in access.roles_held_at(user, point):
        raise Http404("本点没有这项角色。")
    if request.method == "POST":
        try:
            roles.revoke(request.user, point, user, role)
        except roles.RoleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已撤销“{user.username}”{point.name}的{Role(role).label}角色。")
        return redirect("yimen_people")
    return TemplateResponse(request, "tenants/admin/revoke_role.html", {
        "point": point, "person": user, "role_label": Role(role).label,
    })
