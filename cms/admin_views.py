"""The point's own admin pages for its catalogue: which standard items it
offers (admins), and the new standard versions that wait for its editors."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from standards.diff import diff_versions
from tenants import access

from . import adoption, updates
from .models import StandardUpdate


def catalogue(request):
    point = request.point
    if not access.may_manage_catalogue(request.user, point):
        raise PermissionDenied("只有本点管理员可以调整本点事项清单。")
    if request.method == "POST":
        return _change_catalogue(request, point)
    versions = adoption.adoptable_versions(point)
    department = request.GET.get("department", "")
    query = request.GET.get("q", "").strip()
    if department:
        versions = versions.filter(department=department)
    if query:
        versions = versions.filter(Q(name__icontains=query) | Q(item__code__icontains=query))
    adopted = adoption.adopted_codes()
    rows = [{"version": v, "adopted": v.code in adopted} for v in versions.select_related("item")]
    departments = sorted(set(adoption.adoptable_versions(point).values_list("department", flat=True)))
    return TemplateResponse(request, "cms/admin/catalogue.html", {
        "point": point, "rows": rows, "departments": departments, "department": department, "q": query,
        "adopted_count": len(adopted),
    })


def _change_catalogue(request, point):
    codes = request.POST.getlist("codes")
    action = request.POST.get("action")
    if not codes:
        messages.error(request, "请先勾选事项。")
        return redirect(request.get_full_path())
    if action == "adopt":
        versions = adoption.adoptable_versions(point).filter(item__code__in=codes)
        try:
            made = adoption.adopt(point, versions, owner=request.user)
        except adoption.AdoptionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已采用 {len(made)} 项，办事指南已上线。")
    elif action == "drop":
        dropped = adoption.drop(point, codes)
        messages.success(request, f"已停办 {dropped} 项，对应办事指南已下线。")
    else:
        messages.error(request, "未知操作。")
    return redirect(request.get_full_path())


def update_list(request):
    if not access.can_act_at(request.user, request.point):
        raise PermissionDenied
    rows = [{"update": u, "changes": diff_versions(u.from_version.content, u.to_version.content),
             "may_publish": u.page.permissions_for_user(request.user).can_publish()}
            for u in updates.open_updates()]
    return TemplateResponse(request, "cms/admin/updates.html", {"rows": rows})


def update_decide(request, pk: int):
    if request.method != "POST":
        return redirect("yimen_updates")
    update = get_object_or_404(StandardUpdate, pk=pk)
    keep_local = request.POST.get("keep_local") == "1"
    try:
        guide = updates.accept(update, request.user, keep_local=keep_local)
    except updates.UpdateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{guide.title}”已按第 {guide.standard_version.number} 版发布"
                                  f"{'（保留本点的值）' if keep_local else ''}。")
    return redirect("yimen_updates")


def open_update_count() -> int:
    return StandardUpdate.objects.filter(status=StandardUpdate.Status.OPEN).count()


