"""The workbench's result pages (a point's Wagtail admin): 送达 by pick-up code,
free post or electronic result; the results of a case and their revocation;
tracking numbers and delivered dates (one by one or imported); the window's
rating tablet; the supervisors' follow-ups of bad ratings. Views parse, call
cases.results / cases.ratings and render; cases are read through
admin_views._case (Case.objects.visible_to): another point's case is a 404."""
from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from . import access, ratings, results, services
from . import forms as case_forms
from .admin_views import _actor, _case, _denied, _render, workbench_only
from .errors import CaseError
from .models import Delivery, ElectronicResult, FollowUp, Rating, RatingChannel, Status
from .result_views import network_root, rating_page


def _deliver(request, case) -> None:
    data, actor = request.POST, _actor(request)
    method = data.get("method", "")
    if method == Delivery.ELECTRONIC:
        results.deliver_electronic(case.pk, actor, verify_root=network_root(request))
    elif method == Delivery.POST:
        services.deliver(case.pk, actor, method=method, detail=data.get("detail", ""), post=services.Post(
            data.get("address", ""), data.get("carrier", ""), data.get("tracking", "")))
    else:
        services.deliver(case.pk, actor, method=method, detail=data.get("detail", ""),
                         pickup_code=data.get("pickup_code", ""))


def _act(request, case) -> str:
    action = request.POST.get("action", "")
    if action == "deliver":
        _deliver(request, case)
        return "送达：已完成。"
    if action == "revoke":
        result = case.results.filter(pk=request.POST.get("result") or 0).first()
        if result is None:
            raise CaseError("没有这份电子文书。")
        results.revoke(result.pk, _actor(request), request.POST.get("reason", ""))
        return "文书已撤销，核验页面将显示撤销。"
    if action == "posted":
        day = case_forms.date_field(request.POST, "delivered_on", "妥投日期") if request.POST.get("delivered_on") \
            else None
        results.record_posted(case.pk, _actor(request), carrier=request.POST.get("carrier", ""),
                              tracking=request.POST.get("tracking", ""), delivered_on=day)
        return "邮寄信息已登记。"
    raise CaseError("没有这个操作。")


@workbench_only
@require_http_methods(["GET", "POST"])
def case_results(request, case_id: int):
    """送达与电子文书 of one case."""
    case = _case(request, case_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            messages.success(request, _act(request, case))
            # After 送达 the clerk goes on at the case page (办结); the results stay one link away.
            back = "cases_case" if request.POST.get("action") == "deliver" else "cases_results"
            return redirect(back, case_id=case.pk)
        except CaseError as refused:
            error, status = str(refused), 400
            case = _case(request, case_id)
    can_deliver = case.status == Status.DECIDED and case.holder_id == request.point.pk and \
        access.window_role(request.user, request.point) is not None
    return _render(request, "cases/admin/results.html", {
        "case": case, "error": error, "can_deliver": can_deliver,
        "delivery_choices": case_forms.delivery_choices(case.version.content.get("delivery", [])),
        "results": case.results.all(), "network_root": network_root(request),
        "decider": request.point.pk == case.deciding_point_id,
        "posted": case.delivery == Delivery.POST and case.origin_point_id == request.point.pk,
        "rating": Rating.objects.filter(case=case).first(),
        "rate_token": ratings.token_for(case),
    }, status)


@workbench_only
def result_file(request, case_id: int, result_id: int):
    """The PDF, to staff who see the case (e.g. to print it for the applicant)."""
    case = _case(request, case_id)
    result = ElectronicResult.objects.filter(pk=result_id, case=case).first()
    if result is None:
        raise Http404("没有这份电子文书。")
    return FileResponse(result.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=f"{case.number}-{result.title}.pdf")


@workbench_only
@require_http_methods(["GET", "POST"])
def rate_tablet(request, case_id: int):
    """The window's rating tablet: the clerk opens it, the applicant taps a grade."""
    case = _case(request, case_id)
    if case.origin_point_id != request.point.pk or access.window_role(request.user, request.point) is None:
        return _denied(request, "评价器只在收件服务点的窗口使用。")
    return rating_page(request, case, channel=RatingChannel.WINDOW, template="cases/admin/rate_tablet.html",
                       extra={"point": request.point})


@workbench_only
def follow_ups(request):
    """差评整改: the bad ratings of the points the user oversees, the oldest deadline first."""
    if not ratings.may_follow_up(request.user, request.point):
        return _denied(request, "差评整改只对服务点的督查员和管理员开放。")
    rows = FollowUp.objects.visible_to(request.user, request.point).select_related(
        "rating__case", "point").order_by("done_at", "due_date")[:200]
    return _render(request, "cases/admin/followups.html", {"rows": rows, "today": services.today()})


@workbench_only
@require_http_methods(["GET", "POST"])
def follow_up(request, follow_up_id: int):
    found = FollowUp.objects.visible_to(request.user, request.point).select_related(
        "rating__case", "point").filter(pk=follow_up_id).first()
    if found is None or not ratings.may_follow_up(request.user, found.point):
        raise Http404("没有这项整改任务。")
    error, status = "", 200
    if request.method == "POST":
        try:
            ratings.complete_follow_up(found.pk, request.user, request.point,
                                       action_taken=request.POST.get("action_taken", ""),
                                       reply=request.POST.get("reply", ""))
            messages.success(request, "整改情况和答复已记录，申请人可在评价页面看到答复。")
            return redirect("cases_follow_ups")
        except CaseError as refused:
            error, status = str(refused), 400
    return _render(request, "cases/admin/followup.html", {"item": found, "error": error,
                                                          "data": request.POST}, status)


@workbench_only
@require_http_methods(["GET", "POST"])
def tracking_import(request):
    """运单号导入: a CSV of 办件编号,快递公司,运单号 for many posted cases at once."""
    if access.window_role(request.user, request.point) is None:
        return _denied(request, f"您在{request.point.name}没有窗口人员或管理员角色。")
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        raw = upload.read(1024 * 1024) if upload else request.POST.get("text", "").encode("utf-8")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")  # Excel's CSV on Chinese Windows
        report = results.import_tracking(_actor(request), text)
    return _render(request, "cases/admin/tracking.html", {"report": report})
