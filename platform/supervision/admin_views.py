"""电子监察 in a point's Wagtail admin: the dashboard (this point, or one below
it in one click), marking a warning seen or explaining it, and the network's
rules (central admins publish a new version). Views parse, call
supervision.services / supervision.rules and render."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from cases import clock
from tenants.access import is_central_admin_at
from tenants.models import ServicePoint
from tenants.signin import client_address

from . import dashboard, rules, services
from .models import Colour, Rule

DENIED = "电子监察只对本服务点及上级的督查员、管理员和本点窗口人员开放。"


def _denied(request, message: str = DENIED, status: int = 403):
    # Our own page: Wagtail would turn PermissionDenied into a redirect to the dashboard.
    return TemplateResponse(request, "supervision/denied.html", {"message": message}, status=status)


def _stats_url(point_id: int) -> str:
    """The statistics (platform/stats) of the same point."""
    return reverse("stats_dashboard_point", args=[point_id])


def dashboard_view(request, point_id: int | None = None):
    point, user = getattr(request, "point", None), request.user
    if point is None or not dashboard.may_view(user, point):
        return _denied(request)
    target = None
    if point_id is not None:
        target = ServicePoint.objects.filter(pk=point_id).first()
        if target is None:
            return _denied(request, f"您在{point.name}只能查看本服务点及其下级服务点的电子监察，不能查看这个服务点。")
    try:
        context = dashboard.build(user, point, target, clock.today())
    except dashboard.OutOfScope as error:
        return _denied(request, str(error))
    context.update({
        "point": point, "colours": Colour, "rules": Rule, "stats_url": _stats_url(context["target"].pk),
        "rule_set": rules.current(rules.county_of(point)), "next": request.get_full_path(),
    })
    return TemplateResponse(request, "supervision/dashboard.html", context)


def _back(request):
    target = request.POST.get("next", "")
    if target.startswith("/admin/supervision/") and "//" not in target:
        return redirect(target)
    return redirect("supervision_dashboard")


@require_POST
def warning_seen(request, warning_id: int):
    point = getattr(request, "point", None)
    if point is None or not dashboard.may_view(request.user, point):
        return _denied(request)
    try:
        services.mark_seen(warning_id, request.user, point, client_address(request))
    except services.SupervisionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "预警已标记为已阅。")
    return _back(request)


@require_POST
def warning_explain(request, warning_id: int):
    point = getattr(request, "point", None)
    if point is None or not dashboard.may_view(request.user, point):
        return _denied(request)
    try:
        services.explain(warning_id, request.user, point, request.POST.get("explanation", ""),
                         client_address(request))
    except services.SupervisionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "情况说明已保存，并记入办件的历史。")
    return _back(request)


def rules_view(request):
    """The network's rules and their versions; a central admin of the county publishes a new one."""
    point, user = getattr(request, "point", None), request.user
    if point is None or not dashboard.may_view(user, point):
        return _denied(request)
    county = rules.county_of(point)
    editable = point.pk == county.pk and is_central_admin_at(user, county)
    problems: list[str] = []
    data = None
    if request.method == "POST":
        if not editable:
            return _denied(request, f"只有{county.name}的中心管理员可以修改监察规则。")
        data = request.POST
        try:
            made = rules.publish(user, county, request.POST, request.POST.get("note", ""))
        except rules.RulesError as error:
            problems = error.problems
        else:
            messages.success(request, f"监察规则第 {made.version} 版已生效；此后的预警按新版本判定。")
            return redirect("supervision_rules")
    current = rules.current(county)
    fields = [{"field": f, "value": (data.get(f.name, "") if data is not None else getattr(current, f.name))}
              for f in rules.FIELDS]
    return TemplateResponse(request, "supervision/rules.html", {
        "county": county, "current": current, "versions": rules.history(county)[:50], "fields": fields,
        "editable": editable, "problems": problems, "note": data.get("note", "") if data is not None else "",
        "rule_fields": rules.FIELDS,
    }, status=400 if problems else 200)
