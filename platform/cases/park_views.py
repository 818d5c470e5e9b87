"""The park's workbench (园区工作台) in a park point's Wagtail admin: the items
granted to it, the cases it holds with their due dates and warnings, links to
its supervision and statistics pages, and 全程代办 (its agents' investment
projects against the county's time standards); and, at the county, the
见章盖章 list of park decisions its departments confirm before delivery.

Views parse, call cases.agency / cases.services and render; a refused step
shows the CaseError's message and changes nothing.
"""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from powers import lookup
from powers.agency import TIME_STANDARDS
from tenants.models import Tier

from . import agency, delegated, services, workbench
from .admin_views import _actor, _denied, _render, workbench_only
from .errors import CaseError
from .models import Case

NEAR_DAYS = 1  # a case this close to its due date is flagged 临期


def _link(*names: str) -> str:
    """The first of these admin pages that exists (supervision and statistics are other apps' pages)."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _granted(park) -> list[dict]:
    grants = (lookup.effective_grants_of_park(park).select_related("grantor").prefetch_related("items__current")
              .order_by("valid_to", "pk"))
    rows = []
    for grant in grants:
        for item in grant.items.all():
            rows.append({"code": item.code, "name": item.current.name if item.current else item.code,
                         "grantor": f"{grant.grantor.name}{grant.department}", "stages": "、".join(grant.stage_labels),
                         "instrument": grant.instrument_number, "valid_to": grant.valid_to,
                         "confirm": grant.confirm_by_county, "seal": grant.seal_name})
    return sorted(rows, key=lambda r: r["code"])


def _incoming(park) -> list:
    cases = (Case.objects.held_by(park).open().select_related("holder", "origin_point")
             .order_by("due_date", "received_at")[:200])
    rows = [workbench.row(case) for case in cases]
    return sorted(rows, key=lambda r: (r.days_left is None, r.days_left if r.days_left is not None else 0))


@workbench_only
@require_http_methods(["GET", "POST"])
def park_workbench(request):
    park = request.point
    if park.tier != Tier.PARK:
        return _denied(request, "园区工作台只在园区服务点使用。", status=404)
    error, status = "", 200
    if request.method == "POST":
        try:
            done = _agency_step(request, park)
        except CaseError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, done)
            return redirect("cases_park")
    rows = _incoming(park)
    return _render(request, "cases/admin/park.html", {
        "granted": _granted(park), "rows": rows,
        "overdue": sum(1 for r in rows if r.days_left is not None and r.days_left < 0),
        "near": sum(1 for r in rows if r.days_left is not None and 0 <= r.days_left <= NEAR_DAYS),
        "projects": agency.board(park), "standards": TIME_STANDARDS,
        "may_carry": agency.may_carry(request.user, park),
        "supervision_url": _link("supervision_warnings", "supervision_dashboard", "supervision_index"),
        "stats_url": _link("stats_dashboard", "stats_point", "stats_index"),
        "error": error, "today": services.today(),
    }, status)


def _agency_step(request, park) -> str:
    data, user = request.POST, request.user
    action = data.get("action", "")
    if action == "create":
        project = agency.create_project(user, park, name=data.get("name", ""),
                                        enterprise_name=data.get("enterprise_name", ""),
                                        credit_code=data.get("credit_code", ""), kinds=data.getlist("kinds"),
                                        agent_name=data.get("agent_name", ""))
        return f"已建立全程代办项目“{project.name}”。"
    milestone_id = _int(data.get("milestone"))
    if action == "start":
        m = agency.start_milestone(user, park, milestone_id, case_number=data.get("case_number", ""))
        return f"“{m.get_kind_display()}”已开始办理，应于 {m.due_on:%Y-%m-%d} 前办结。"
    if action == "finish":
        m = agency.finish_milestone(user, park, milestone_id)
        return f"“{m.get_kind_display()}”已办结。"
    raise CaseError("没有这个操作。")


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CaseError("没有这个代办节点。") from None


# --- 见章盖章 at the county ----------------------------------------------------------

@workbench_only
@require_http_methods(["GET", "POST"])
def confirmations(request):
    point = request.point
    error, status = "", 200
    if request.method == "POST":
        try:
            case = services.confirm_decision(_int_case(request.POST.get("case")), _actor(request))
        except CaseError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, f"办件 {case.number} 已见章盖章确认，可以送达。")
            return redirect("cases_confirmations")
    waiting = delegated.waiting_for(request.user, point)
    return _render(request, "cases/admin/confirmations.html", {
        "rows": [(workbench.row(case), delegated.grant_of(case)) for case in waiting], "error": error,
        "today": services.today()}, status)


def _int_case(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CaseError("办件不存在。") from None
