"""Applying online on the network host: choose the point, fill in the form
(saved as a draft on every save), upload or reuse the materials, submit;
补正 online; an applicant's own files. Views parse, call online.applications
and render; a refused step shows the Chinese message and changes nothing.

An applicant's file is served to the account that uploaded it only: another
account, or no account, gets the same 404 as a key that does not exist.
Staff read files in their workbench (online.staff_views).
"""
from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.errors import CaseError
from cases.identity import mask_id
from tenants.models import ServicePoint
from tenants.signin import client_address

from . import applications, uploads
from .models import CitizenAccount
from .session import citizen_required, current_account

INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _account(request) -> CitizenAccount:
    account = current_account(request)
    if account is None:  # citizen_required let no such request through
        raise Http404("请先登录。")
    return account


@never_cache
@citizen_required(verified=True)
def choose_point(request, item_code: str):
    account = _account(request)
    points = applications.accepting_points(item_code, account)
    if not points:
        raise Http404("没有受理该事项的服务点。")
    adoption = applications.adoption_at(points[0], item_code)
    return TemplateResponse(request, "online/apply_choose.html", {
        "points": points, "item_code": item_code, "name": adoption.version.name if adoption else item_code})


def _point(slug: str) -> ServicePoint:
    point = ServicePoint.objects.real().filter(slug=slug).first()
    if point is None:
        raise Http404("没有这个服务点。")
    return point


def _form(request, draft, error: str = "", status: int = 200):
    account = draft.account
    return TemplateResponse(request, "online/apply.html", {
        "draft": draft, "version": draft.version, "point": draft.point, "account": account,
        "id_masked": mask_id(account.id_number), "rows": applications.material_rows(draft),
        "fields": draft.fields, "error": error, "max_mb": uploads.max_bytes() // (1024 * 1024),
        "online_level": draft.version.content.get("online", ""),
    }, status=status)


def _by_index(draft, data, files):
    """The form's per-material inputs (file-<i>, reuse-<i>, remove-<i>) by material name."""
    names = [m["name"] for m in applications.materials(draft.version)]

    def name(i: str) -> str | None:
        return names[int(i)] if i.isdigit() and int(i) < len(names) else None

    chosen = {n: f for k, f in files.items() if k.startswith("file-") and (n := name(k[5:]))}
    reuse = {n: v for k, v in data.items() if k.startswith("reuse-") and v and (n := name(k[6:]))}
    remove = [n for k in data if k.startswith("remove-") and (n := name(k[7:]))]
    return chosen, reuse, remove


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def apply(request, point_slug: str, item_code: str):
    account = _account(request)
    point = _point(point_slug)
    try:
        draft = applications.open_draft(account, point, item_code)
    except CaseError as error:
        return TemplateResponse(request, "online/apply_refused.html", {"error": str(error), "point": point},
                                status=404)
    if request.method == "GET":
        return _form(request, draft)
    files, reuse, remove = _by_index(draft, request.POST, request.FILES)
    try:
        applications.save_draft(draft, request.POST, files, reuse, remove)
        if request.POST.get("action") == "submit":
            case = applications.submit(draft, client_address(request))
            return redirect(reverse("online_submitted", args=[case.number]))
    except CaseError as error:
        draft.refresh_from_db()
        return _form(request, draft, str(error), status=400)
    return redirect(f"{request.path}?saved=1#materials")


@never_cache
@citizen_required(verified=True)
def submitted(request, number: str):
    case = applications.own_case(_account(request), number)
    if case is None:
        raise Http404("没有这个办件。")
    return TemplateResponse(request, "online/apply_submitted.html", {"case": case})


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required(verified=True)
def supplement(request, number: str):
    account = _account(request)
    case = applications.own_case(account, number)
    if case is None:
        raise Http404("没有这个办件。")
    context = {"case": case, "uploads": applications.case_uploads(case),
               "max_mb": uploads.max_bytes() // (1024 * 1024)}
    if request.method == "POST":
        listed = list(case.supplement_list)
        files = {listed[int(k[5:])]: f for k, f in request.FILES.items()
                 if k.startswith("file-") and k[5:].isdigit() and int(k[5:]) < len(listed)}
        try:
            applications.supplement(account, case, files, client_address(request))
        except CaseError as error:
            return TemplateResponse(request, "online/supplement.html", {**context, "error": str(error)}, status=400)
        return redirect(reverse("online_supplement", args=[case.number]) + "?done=1")
    return TemplateResponse(request, "online/supplement.html", {**context, "done": request.GET.get("done") == "1"})


def serve(upload, request) -> FileResponse:
    """A stored file with its detected type; never cached, never sniffed, OFD as a download."""
    inline = upload.content_type in INLINE_TYPES
    response = FileResponse(upload.file.open("rb"), content_type=upload.content_type,
                            as_attachment=not inline, filename=upload.original_name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@citizen_required
def own_file(request, key):
    upload = applications.file_for_account(_account(request), key)
    if upload is None:
        raise Http404("没有这个文件。")
    return serve(upload, request)
