"""赋权强园 in the Wagtail admin: the county's central admins list, draft,
activate, suspend, resume, renew and revoke grants, import and export them as
Excel; a park's admins read the grants they received. Thin: parse, call
powers.services, render."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from standards.models import StandardItem

from . import access, excel, reminders, services
from .errors import GrantError
from .forms import GrantForm
from .models import GrantStatus, PowerGrant

DENIED = "只有县中心管理员（及承接园区的管理员，只读）可以查看赋权强园。"
MANAGE_DENIED = "只有县中心管理员可以管理赋权。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _point(request):
    return getattr(request, "point", None)


def _denied(request, message=DENIED):
    return TemplateResponse(request, "powers/admin/denied.html", {"denied": message}, status=403)


def grant_list(request):
    point = _point(request)
    if not access.may_read(request.user, point):
        return _denied(request)
    status = request.GET.get("status", "")
    grants = access.grants_for(request.user, point).select_related("grantee", "grantor").order_by("-created_at")
    if status in GrantStatus.values:
        grants = grants.filter(status=status)
    return TemplateResponse(request, "powers/admin/list.html", {
        "grants": grants[:500], "manage": access.may_manage(request.user, point), "statuses": GrantStatus.choices,
        "status": status, "reminders": reminders.reminders_for(point)[:20], "point": point,
    })


def _delegable_items(point):
    items = StandardItem.objects.visible_to(point).filter(current__isnull=False).select_related("current")
    return [i for i in items.order_by("code") if i.current.content.get("park_delegable")]


@require_http_methods(["GET", "POST"])
def grant_form(request, grant_id: int | None = None):
    point = _point(request)
    if not access.may_manage(request.user, point):
        return _denied(request, MANAGE_DENIED)
    grant = None
    if grant_id is not None:
        grant = PowerGrant.objects.filter(pk=grant_id, grantor=point, status=GrantStatus.DRAFT).first()
        if grant is None:
            raise Http404
    if request.method == "POST":
        form = GrantForm(request.POST, request.FILES, county=point)
        if form.is_valid():
            try:
                spec = form.spec()
                if grant is None:
                    grant = services.draft(request.user, point, spec)
                else:
                    grant = services.update_draft(grant.pk, request.user, point, spec)
            except GrantError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "赋权草稿已保存；须由另一位中心管理员批准生效。")
                return redirect("powers_grant", grant.pk)
    else:
        initial = GrantForm.initial_from(grant) if grant else {"valid_from": timezone.localdate()}
        form = GrantForm(initial=initial, county=point)
    return TemplateResponse(request, "powers/admin/form.html", {
        "form": form, "grant": grant, "items": _delegable_items(point),
    })


def grant_detail(request, grant_id: int):
    point = _point(request)
    grant = access.grants_for(request.user, point).filter(pk=grant_id).select_related(
        "grantee", "grantor", "drafted_by", "activated_by").first()
    if grant is None:
        if not access.may_read(request.user, point):
            return _denied(request)
        raise Http404
    manage = access.may_manage(request.user, point) and grant.grantor_id == point.pk
    return TemplateResponse(request, "powers/admin/grant.html", {
        "grant": grant, "manage": manage, "items": grant.items.select_related("current").order_by("code"),
        "events": [(e, services.ACTION_LABELS.get(e.action, e.action)) for e in grant.events.order_by("seq")],
        "reminders": grant.reminders.all(), "four_eyes": grant.drafted_by_id == request.user.pk,
        "renew_default": grant.valid_to + dt.timedelta(days=365),
    })


def _date(value: str):
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise GrantError("请按 2027-12-31 的格式填写日期，未做任何更改。") from None


@require_POST
def grant_step(request, grant_id: int):
    point = _point(request)
    if not access.may_manage(request.user, point):
        return _denied(request, MANAGE_DENIED)
    action = request.POST.get("action", "")
    data = request.POST
    steps = {
        "activate": lambda: services.activate(grant_id, request.user, point),
        "suspend": lambda: services.suspend(grant_id, request.user, point, data.get("reason", "")),
        "resume": lambda: services.resume(grant_id, request.user, point),
        "renew": lambda: services.renew(grant_id, request.user, point, _date(data.get("valid_to")),
                                        data.get("note", "")),
        "revoke": lambda: services.revoke(grant_id, request.user, point, data.get("reason", "")),
    }
    if action not in steps:
        messages.error(request, "未知的操作，未做任何更改。")
    else:
        try:
            grant = steps[action]()
        except GrantError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"已{services.ACTION_LABELS[action]}：{grant}（{grant.get_status_display()}）。")
    return redirect("powers_grant", grant_id)


def grant_file(request, grant_id: int, kind: str):
    """The instrument or the seal image, from private storage, to those who may read the grant."""
    grant = access.grants_for(request.user, _point(request)).filter(pk=grant_id).first()
    field = {"instrument": "instrument_file", "seal": "seal_image"}.get(kind)
    if grant is None or field is None or not getattr(grant, field):
        raise Http404
    stored = getattr(grant, field)
    return FileResponse(stored.open("rb"), as_attachment=kind == "instrument",
                        filename=stored.name.rsplit("/", 1)[-1])


def export(request):
    point = _point(request)
    if not access.may_read(request.user, point):
        return _denied(request)
    data = excel.export_grants(access.grants_for(request.user, point))
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="grants-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
def import_view(request):
    point = _point(request)
    if not access.may_manage(request.user, point):
        return _denied(request, MANAGE_DENIED)
    errors = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["请选择要导入的 Excel 文件（.xlsx）。"]
        else:
            result = excel.import_grants(request.user, point, upload.read())
            errors = result.errors
            if not errors:
                messages.success(request, f"已导入 {len(result.grants)} 项赋权草稿；须由另一位中心管理员逐项批准生效。")
                return redirect(f"{reverse('powers_list')}?status=draft")
    return TemplateResponse(request, "powers/admin/import.html", {"errors": errors}, status=400 if errors else 200)


@require_POST
def activate_selected(request):
    point = _point(request)
    if not access.may_manage(request.user, point):
        return _denied(request, MANAGE_DENIED)
    try:
        ids = [int(v) for v in request.POST.getlist("grant")]
        done = services.activate_many(ids, request.user, point)
    except ValueError:
        messages.error(request, "请选择要批准生效的赋权草稿。")
    except GrantError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已批准 {len(done)} 项赋权生效。")
    return redirect("powers_list")
