"""The clerk's workbench (办件) in a point's Wagtail admin: intake, the inbox,
the departments' queue, every case the user may see, the case page with the
steps the user may take now, and the printables.

Views parse, call cases.services and render. A refused step shows the
service's CaseError message and changes nothing. Cases are read only through
`Case.objects.visible_to(user, point)`: another point's case is a 404 here.
Personal data is masked everywhere but the case page of a user allowed to see
it (cases.access.may_see_personal_data) and never goes into a URL.
"""
from __future__ import annotations

import secrets
from functools import wraps

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from standards.models import Adoption
from tenants.links import point_url
from tenants.models import ServicePoint
from tenants.signin import client_address

from . import access, identity, inbox, online_steps, qr, ratings, services, workbench
from . import forms as case_forms
from .errors import CaseError
from .models import ApplicantKind, Case, Status
from .result_views import network_root

DENIED = "办件工作台只对本服务点的窗口人员、部门窗口人员和督查人员开放。"
LIST_SIZE = 200
TRACKED_LABELS = {
    "status": "状态", "holder_id": "当前办理点", "due_date": "办结期限", "accepted_at": "受理时间",
    "clock_stopped_on": "计时暂停日", "resume_status": "恢复后状态", "supplement_list": "补正材料",
    "special_reason": "特别程序事由", "special_expected_end": "特别程序预计结束", "tolerance_materials": "容缺材料",
    "tolerance_due": "容缺补交期限", "refusal_reason": "不予受理理由", "granted": "决定结果",
    "decision_text": "决定内容", "delivery": "送达方式", "delivery_detail": "送达说明", "delivered_at": "送达时间",
    "closed_at": "办结时间", "materials": "材料清单",
}
ROLE_LABELS = {"clerk": "窗口人员", "admin": "管理员", "desk": "部门窗口", "": "—",
               # 电子监察's events (supervision): the monitor, and who handled a warning.
               "monitor": "电子监察", "supervisor": "督查员", "central_admin": "中心管理员"}


def _denied(request, message: str = DENIED, status: int = 403):
    # Our own page: Wagtail would turn PermissionDenied into a redirect to the dashboard.
    return TemplateResponse(request, "cases/admin/denied.html", {"message": message}, status=status)


def workbench_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not workbench.may_use(request.user, getattr(request, "point", None)):
            return _denied(request)
        return view(request, *args, **kwargs)

    return wrapped


def _actor(request) -> services.Actor:
    return services.Actor(request.user, request.point, client_address(request))


def _case(request, case_id: int) -> Case:
    case = (Case.objects.visible_to(request.user, request.point)
            .select_related("holder", "origin_point", "deciding_point", "version").filter(pk=case_id).first())
    if case is None:
        raise Http404("没有这个办件，或您无权查看。")
    return case


def _nav(request) -> dict:
    point, user = request.point, request.user
    return {"may_open": access.may_open_cases(user, point), "works_inbox": workbench.works_inbox(user, point),
            "sees_queue": workbench.sees_queue(user, point), "point": point}


def _render(request, template: str, context: dict, status: int = 200):
    return TemplateResponse(request, template, {**_nav(request), **context}, status=status)


# --- 收件 ----------------------------------------------------------------------

def _adoption(point: ServicePoint, code: str):
    return Adoption.objects.of_point(point).filter(item__code=code).select_related("version", "item").first()


def _choose_item(request, error: str = "", status: int = 200):
    q = request.GET.get("q", "").strip()[:50]
    adoptions = Adoption.objects.of_point(request.point).select_related("item", "version").order_by("item__code")
    if q:
        adoptions = adoptions.filter(Q(version__name__icontains=q) | Q(item__code__icontains=q))
    return _render(request, "cases/admin/intake_item.html",
                   {"adoptions": adoptions[:100], "count": adoptions.count(), "q": q, "error": error}, status)


def _intake_form(request, adoption, form, error: str = "", existing: Case | None = None, status: int = 200):
    data = request.POST if request.method == "POST" else None
    return _render(request, "cases/admin/intake.html", {
        "adoption": adoption, "version": adoption.version, "form": form, "error": error, "existing": existing,
        "materials": case_forms.material_rows(adoption.version.content.get("materials", []), data),
    }, status)


@workbench_only
def intake(request):
    """收件, in two steps: choose the item (?item=<code>), then the applicant and the checklist."""
    point = request.point
    if not access.may_open_cases(request.user, point):
        return _denied(request, f"您在{point.name}没有窗口人员或管理员角色，不能收件。")
    code = (request.POST.get("item") if request.method == "POST" else request.GET.get("item", "")) or ""
    code = code.strip()[:40]
    if not code:
        return _choose_item(request)
    adoption = _adoption(point, code)
    if request.method != "POST":
        if adoption is None:
            return _choose_item(request, f"{point.name}不受理事项“{code}”：请从下面的列表中选择本点受理的事项。", 404)
        return _intake_form(request, adoption, case_forms.ApplicantForm(initial={"token": secrets.token_urlsafe(24)}))
    form = case_forms.ApplicantForm(request.POST)
    try:
        if not form.is_valid():
            raise CaseError("请检查表单：" + "；".join(e for errors in form.errors.values() for e in errors))
        materials = (adoption.version.content.get("materials", []) if adoption else [])
        intake_data = services.Intake(item_code=code, applicant=form.applicant(),
                                      materials=case_forms.material_checks(materials, request.POST),
                                      token=form.cleaned_data["token"])
        case = services.open_case(_actor(request), intake_data)
    except services.DuplicateSubmission as duplicate:
        existing = Case.objects.visible_to(request.user, point).filter(pk=duplicate.case.pk).first()
        if adoption is None:
            return _choose_item(request, str(duplicate), 409)
        return _intake_form(request, adoption, form, str(duplicate), existing, 409)
    except CaseError as error:
        if adoption is None:
            return _choose_item(request, str(error), 400)
        return _intake_form(request, adoption, form, str(error), status=400)
    messages.success(request, f"已收件，办件编号 {case.number}。")
    return redirect("cases_case", case_id=case.pk)


# --- lists ---------------------------------------------------------------------

@workbench_only
def inbox_view(request):
    point = request.point
    if not workbench.works_inbox(request.user, point):
        return _denied(request, "待办只对本服务点的窗口人员和部门窗口人员开放；请在“全部办件”中查看。")
    waiting = inbox.waiting_at(point)
    notices = list(inbox.unread_notices(point)[:100])
    return _render(request, "cases/admin/inbox.html", {
        "rows": [workbench.row(w.case, w.reason, w.new) for w in waiting], "notices": notices})


@workbench_only
def queue(request):
    point, user = request.point, request.user
    if not workbench.sees_queue(user, point):
        return _denied(request, f"{point.name}没有分设部门窗口，或您不在部门窗口人员名单中。")
    departments = inbox.desk_departments(user, point) or inbox.point_departments(point)
    chosen = request.GET.get("department", "")
    shown = [chosen] if chosen in departments else departments
    waiting = inbox.waiting_at(point, inbox.department_queue(point, shown))
    return _render(request, "cases/admin/queue.html", {
        "rows": [workbench.row(w.case, w.reason, w.new) for w in waiting], "departments": departments,
        "department": chosen if chosen in departments else ""})


@workbench_only
def case_list(request):
    point = request.point
    cases = Case.objects.visible_to(request.user, point).select_related("holder", "origin_point")
    status = request.GET.get("status", "")
    number = request.GET.get("number", "").strip()[:40]  # a case number only: never a name or an ID
    if status in Status.values:
        cases = cases.filter(status=status)
    if number:
        cases = cases.filter(number=number)
    total = cases.count()
    return _render(request, "cases/admin/list.html", {
        "rows": [workbench.row(case) for case in cases[:LIST_SIZE]], "total": total, "shown_max": LIST_SIZE,
        "statuses": Status.choices, "status": status, "number": number})


# --- the case page ---------------------------------------------------------------

def _value(name: str, value, points: dict[int, str]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if name == "holder_id":
        return points.get(value, "其他服务点")
    if name in ("status", "resume_status"):
        return Status(value).label if value in Status.values else str(value)
    if name == "granted":
        return "准予" if value else "不予"
    if name == "materials":
        return f"{sum(1 for row in value if row.get('present'))}/{len(value)} 项已收"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value).replace("T", " ")[:19] if name.endswith("_at") else str(value)


def _timeline(case: Case) -> list[dict]:
    events = list(case.events.select_related("point").order_by("seq"))
    holder_ids = {v for e in events for v in (e.changes.get("holder_id") or []) if v}
    points = dict(ServicePoint.objects.filter(pk__in=holder_ids).values_list("pk", "name"))
    return [{
        "event": event, "label": services.ACTION_LABELS.get(event.action, event.action),
        "role": ROLE_LABELS.get(event.role, event.role),
        "changes": [(TRACKED_LABELS.get(name, name), _value(name, before, points), _value(name, after, points))
                    for name, (before, after) in event.changes.items() if name != "status"],
    } for event in events]


def _applicant(case: Case, personal: bool) -> dict:
    if personal:
        return {"name": case.applicant_name, "id_number": case.applicant_id_number, "phone": case.phone,
                "agent_id_number": case.agent_id_number, "agent_name": case.agent_name}
    name = case.applicant_name if case.applicant_kind == ApplicantKind.ENTERPRISE else \
        identity.mask_name(case.applicant_name)
    return {"name": name, "id_number": identity.mask_id(case.applicant_id_number),
            "phone": identity.mask_phone(case.phone), "agent_name": identity.mask_name(case.agent_name),
            "agent_id_number": identity.mask_id(case.agent_id_number) if case.agent_id_number else ""}


def _case_page(request, case: Case, error: str = "", status: int = 200):
    point, user = request.point, request.user
    personal = access.may_see_personal_data(user, point, case)
    missing = services.missing_materials(case)
    steps = workbench.allowed_steps(user, point, case)
    return _render(request, "cases/admin/case.html", {
        "case": case, "personal": personal, "applicant": _applicant(case, personal),
        "missing": missing, "tolerable": [row for row in missing if row["tolerable"]],
        "days_left": services.days_left(case), "notify_days_left": services.notify_days_left(case),
        "notify_within": services.NOTIFY_WITHIN_DAYS,
        "handoffs": case.handoffs.select_related("from_point", "to_point").order_by("sent_at", "pk"),
        "timeline": _timeline(case), "steps": steps, "step_labels": workbench.LABELS,
        "delivery_choices": case_forms.delivery_choices(case.version.content.get("delivery", [])),
        "error": error, "today": services.today(),
    }, status)


@workbench_only
def case_detail(request, case_id: int):
    case = _case(request, case_id)
    if workbench.works_inbox(request.user, request.point):
        inbox.mark_read(request.point, case)
    return _case_page(request, case)


def _take_step(action: str, case_id: int, actor: services.Actor, data) -> Case:
    if action == "receive_online":
        return online_steps.receive_online(case_id, actor)
    if action == "hand_up":
        return services.hand_up(case_id, actor, data.get("note", ""))
    if action == "return_down":
        return services.return_down(case_id, actor, data.get("reason", ""))
    if action == "accept":
        return services.accept(case_id, actor)
    if action == "accept_with_tolerance":
        tolerated = data.getlist("tolerated")
        if not tolerated:
            raise CaseError("请勾选容缺受理的材料。")
        return services.accept(case_id, actor, tolerated=tolerated,
                               tolerance_due=case_forms.date_field(data, "tolerance_due", "容缺材料补交期限"))
    if action == "refuse":
        return services.refuse(case_id, actor, data.get("reason", ""))
    if action == "request_supplement":
        return services.request_supplement(case_id, actor, case_forms.supplement_items(data))
    if action == "supplement_received":
        return services.supplement_received(case_id, actor)
    if action == "start_review":
        return services.start_review(case_id, actor)
    if action == "start_special":
        return services.start_special(case_id, actor, data.get("reason", ""),
                                      case_forms.date_field(data, "expected_end", "预计结束日期"))
    if action == "end_special":
        return services.end_special(case_id, actor, data.get("note", ""))
    if action == "decide":
        return services.decide(case_id, actor, granted=case_forms.granted(data), text=data.get("text", ""))
    if action == "deliver":
        if data.get("method") == "electronic":  # the PDF is issued with it: result_admin.case_results
            raise CaseError("电子送达请在“送达与电子文书”页面办理，以便同时出具电子文书。")
        return services.deliver(case_id, actor, method=data.get("method", ""), detail=data.get("detail", ""))
    if action == "close":
        return services.close(case_id, actor)
    if action == "withdraw":
        return services.withdraw(case_id, actor, data.get("reason", ""))
    raise CaseError("没有这个办理步骤。")


@workbench_only
@require_POST
def case_step(request, case_id: int):
    case = _case(request, case_id)
    action = request.POST.get("action", "")
    try:
        _take_step(action, case.pk, _actor(request), request.POST)
    except CaseError as error:
        return _case_page(request, _case(request, case_id), str(error), status=400)
    messages.success(request, f"{workbench.LABELS.get(action, '办理')}：已完成。")
    return redirect("cases_case", case_id=case.pk)


# --- printables ------------------------------------------------------------------

def _print_context(request, case: Case) -> dict:
    personal = access.may_see_personal_data(request.user, request.point, case)
    return {"case": case, "applicant": _applicant(case, personal), "point": case.origin_point,
            "today": services.today()}


@workbench_only
def notice_print(request, case_id: int):
    """一次性告知书: everything the applicant still has to bring, in one list."""
    case = _case(request, case_id)
    missing = services.missing_materials(case)
    listed = {row["name"] for row in missing}
    others = [name for name in case.supplement_list if name not in listed]
    return TemplateResponse(request, "cases/print/notice.html", {
        **_print_context(request, case), "missing": missing, "others": others,
        "notify_within": services.NOTIFY_WITHIN_DAYS})


def _receipt_title(case: Case) -> str:
    if case.status == Status.REFUSED:
        return "不予受理决定书"  # with the written reasons and the right to appeal
    return "受理通知书" if case.accepted_at else "收件回执"


@workbench_only
def receipt_print(request, case_id: int):
    """收件回执, or 受理通知书 once accepted: the number and a QR code of the progress page."""
    case = _case(request, case_id)
    url = point_url(request, case.origin_point, f"{reverse('case_progress')}?number={case.number}")
    return TemplateResponse(request, "cases/print/receipt.html", {
        **_print_context(request, case), "progress_url": url,
        "qr": qr.svg(url, title=f"办件 {case.number} 进度查询二维码"),
        "title": _receipt_title(case),
        # 好差评 by the receipt's QR: a signed link on the network's host (cases.ratings), rated after 办结.
        "rate_qr": qr.svg(f"{network_root(request)}/rate/{ratings.token_for(case)}/", title="服务评价二维码"),
        "received": [row for row in case.materials if row["present"]]})
