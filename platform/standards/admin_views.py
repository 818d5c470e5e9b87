"""事项标准库 in the Wagtail admin of the county point, for its central admins.

Views parse and render; every change goes through `standards.services`.
Anyone else (another role, another point) is refused with a 403. Inside a
cell that holds several counties, a county's admins see their own items and
the shared ones (read-only), and nothing of another county's: every item,
version and propagation is looked up through `_item` / `_version` / `_run`,
which apply `standards.authority`.
"""
from __future__ import annotations

import tempfile
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from tenants import access
from tenants.links import point_url

from . import authority, elements, exporting, propagation, services
from .diff import diff_versions
from .forms import DraftEditor, RejectForm
from .models import (
    Propagation,
    PropagationStatus,
    PropagationTarget,
    StandardItem,
    StandardItemVersion,
    TargetStatus,
    VersionStatus,
)

DENIED = "只有县级服务点的中心管理员可以管理事项标准库。"
PAGE_SIZE = 50
REFRESH_SECONDS = 3
OPEN = (VersionStatus.DRAFT, VersionStatus.REVIEW)
STATUS_FILTERS = {
    "draft": "有草稿", "review": "待审核", "none": "无未发布修改", "unpublished": "尚未发布",
}


class Refused(Exception):
    """Not this county's to see (404) or to change (403); the message is shown as is."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message, self.status = message, status


def _denied(request, message: str, status: int):
    # A page of its own (Wagtail would turn PermissionDenied into a redirect home).
    return TemplateResponse(request, "standards/admin/denied.html", {"message": message}, status=status)


def central_admin_only(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.may_manage_standards(request.user, getattr(request, "point", None)):
            return _denied(request, DENIED, 403)
        try:
            return view(request, *args, **kwargs)
        except Refused as exc:
            return _denied(request, exc.message, exc.status)

    return wrapped


def _visible_items(request):
    return StandardItem.objects.visible_to(request.point)


def _editable(request, item: StandardItem) -> bool:
    return authority.may_edit(request.point, item.authority)


def _check_edit(request, item: StandardItem) -> None:
    if not _editable(request, item):
        raise Refused(authority.READ_ONLY)


# --- list and item -----------------------------------------------------------

@central_admin_only
def item_list(request):
    open_versions = StandardItemVersion.objects.filter(item=OuterRef("pk"), status__in=OPEN)
    items = (_visible_items(request).select_related("current")
             .annotate(open_number=Subquery(open_versions.values("number")[:1]),
                       open_status=Subquery(open_versions.values("status")[:1]))
             .order_by("code"))
    q = request.GET.get("q", "").strip()
    department = request.GET.get("department", "")
    status = request.GET.get("status", "")
    if q:
        items = items.filter(Q(code__icontains=q) | Q(current__name__icontains=q) | Q(versions__name__icontains=q,
                                                                                     versions__status__in=OPEN))
        items = items.distinct()
    if department:
        items = items.filter(current__department=department)
    if status == "draft":
        items = items.filter(open_status=VersionStatus.DRAFT)
    elif status == "review":
        items = items.filter(open_status=VersionStatus.REVIEW)
    elif status == "none":
        items = items.filter(open_status__isnull=True)
    elif status == "unpublished":
        items = items.filter(current__isnull=True)
    departments = (StandardItemVersion.objects.filter(status=VersionStatus.PUBLISHED,
                                                      item__in=_visible_items(request))
                   .order_by("department").values_list("department", flat=True).distinct())
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("p"))
    query = request.GET.copy()
    query.pop("p", None)
    return TemplateResponse(request, "standards/admin/list.html", {
        "page": page, "q": q, "department": department, "status": status, "departments": departments,
        "status_filters": STATUS_FILTERS, "query": query.urlencode(),
        "review_count": StandardItemVersion.objects.filter(
            status=VersionStatus.REVIEW, item__in=StandardItem.objects.owned_by(request.point)).count(),
        "own": authority.of_point(request.point),
    })


def _item(request, code: str, *, edit: bool = False) -> StandardItem:
    """The item if this county may see it (404 otherwise: another county's
    items are not even said to exist) and, for `edit`, change it (403)."""
    item = _visible_items(request).select_related("current").filter(code=code).first()
    if item is None:
        raise Refused(authority.NOT_HERE, 404)
    if edit:
        _check_edit(request, item)
    return item


@central_admin_only
def item_detail(request, code: str):
    item = _item(request, code)
    editable = _editable(request, item)
    versions = list(item.versions.order_by("-number")
                    .select_related("created_by", "submitted_by", "published_by"))
    # A shared item's propagations reach other counties' points: not shown here.
    runs = []  # (propagation, its progress)
    if editable:
        for run in Propagation.objects.filter(version__item=item).select_related("version").order_by("-started_at"):
            runs.append((run, propagation.progress(run)))
    draft = services.open_draft(item)
    return TemplateResponse(request, "standards/admin/item.html", {
        "item": item, "versions": versions, "runs": runs, "draft": draft, "editable": editable,
        "owner_label": authority.label(item.authority), "read_only_note": authority.READ_ONLY,
        "numbers": [v.number for v in versions],
        "content": (item.current or (versions[0] if versions else None)),
    })


def _version(request, pk: int, *, edit: bool = False) -> StandardItemVersion:
    version = (StandardItemVersion.objects.select_related("item", "item__current")
               .filter(pk=pk, item__in=_visible_items(request)).first())
    if version is None:
        raise Refused(authority.NOT_HERE, 404)
    if edit:
        _check_edit(request, version.item)
    return version


@central_admin_only
def version_detail(request, pk: int):
    version = _version(request, pk)
    editable = _editable(request, version.item)
    base = version.item.current if version.item.current_id and version.item.current_id != version.pk else None
    if base is None:
        base = version.item.versions.filter(number__lt=version.number).order_by("-number").first()
    return TemplateResponse(request, "standards/admin/version.html", {
        "item": version.item, "version": version, "base": base,
        "changes": diff_versions(base.content, version.content) if base else [],
        "rows": guide_rows(version.content), "reject_form": RejectForm(),
        "may_publish_here": editable and _may_publish(request.user, version), "editable": editable,
        "read_only_note": authority.READ_ONLY,
    })


def _may_publish(user, version) -> bool:
    from django.conf import settings

    return version.status == VersionStatus.REVIEW and not (
        settings.STANDARDS_FOUR_EYES and version.submitted_by_id == user.pk)


def guide_rows(content: dict) -> list[tuple[str, str, object]]:
    """(element, label, value) in guide order, for read-only display."""
    from .diff import display

    rows = []
    for key, label in elements.LABELS.items():
        value = content.get(key)
        if key in ("materials", "faq", "legal_basis"):
            rows.append((key, label, value or []))
        else:
            rows.append((key, label, display(key, value)))
    return rows


# --- draft life ----------------------------------------------------------------

def _refuse(request, exc: Exception):
    messages.error(request, str(exc))


@central_admin_only
@require_POST
def draft_new(request, code: str):
    item = _item(request, code, edit=True)
    try:
        version = services.start_draft(item, request.user, note=request.POST.get("note", "")[:300])
    except services.StandardsError as exc:
        _refuse(request, exc)
        return redirect("standards_item", code=item.code)
    messages.success(request, f"已从现行版本建立第 {version.number} 版草稿。")
    return redirect("standards_edit", pk=version.pk)


@central_admin_only
def draft_edit(request, pk: int):
    version = _version(request, pk, edit=True)
    if version.status != VersionStatus.DRAFT:
        messages.error(request, f"第 {version.number} 版{version.get_status_display()}，只有草稿可以修改。")
        return redirect("standards_version", pk=version.pk)
    editor = DraftEditor(version.content, version.note, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        content = editor.content()
        if content is not None:
            try:
                services.update_draft(version, content, request.user,
                                      note=editor.form.cleaned_data.get("note", ""))
            except services.StandardsError as exc:
                editor.form.add_error(None, str(exc))
            except elements.ContentError as exc:
                editor.add_problems(exc.problems)
            else:
                messages.success(request, f"第 {version.number} 版草稿已保存。")
                if request.POST.get("then") == "submit":
                    return _submit(request, version)
                return redirect("standards_item", code=version.item.code)
        messages.error(request, "草稿未保存：请按提示修改标红的内容。")
    return TemplateResponse(request, "standards/admin/edit.html", {
        "item": version.item, "version": version, "editor": editor, "form": editor.form,
        "materials": editor.materials, "faq": editor.faq,
    }, status=400 if editor.bound and editor.has_errors else 200)


def _submit(request, version):
    try:
        services.submit_for_review(version, request.user)
    except services.StandardsError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, f"第 {version.number} 版已提交审核，请另一位中心管理员审核发布。")
    return redirect("standards_version", pk=version.pk)


@central_admin_only
@require_POST
def submit(request, pk: int):
    return _submit(request, _version(request, pk, edit=True))


@central_admin_only
@require_POST
def reject(request, pk: int):
    version = _version(request, pk, edit=True)
    form = RejectForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("review_note", []):  # messages (an ErrorList yields text)
            messages.error(request, str(error))
        return redirect("standards_version", pk=version.pk)
    try:
        services.reject(version, request.user, note=form.cleaned_data["review_note"])
    except services.StandardsError as exc:
        _refuse(request, exc)
    else:
        messages.success(request, f"第 {version.number} 版已退回修改。")
    return redirect("standards_version", pk=version.pk)


@central_admin_only
@require_POST
def publish(request, pk: int):
    version = _version(request, pk, edit=True)
    try:
        run = services.publish(version, request.user)
    except services.StandardsError as exc:
        _refuse(request, exc)
        return redirect("standards_version", pk=version.pk)
    messages.success(request, f"第 {version.number} 版已发布，正在推送到 {run.total} 个采用该事项的服务点。")
    return redirect("standards_propagation", pk=run.pk)


@central_admin_only
@require_POST
def discard(request, pk: int):
    version = _version(request, pk, edit=True)
    item = version.item
    first = version.number == 1 and not item.current_id
    try:
        services.discard_draft(version, request.user)
    except services.StandardsError as exc:
        _refuse(request, exc)
        return redirect("standards_version", pk=version.pk)
    messages.success(request, f"已撤回第 {version.number} 版。")
    if first:  # the item went with its only draft
        return redirect("standards_list")
    return redirect("standards_item", code=item.code)


# --- diff and propagation ------------------------------------------------------

@central_admin_only
def diff(request, code: str):
    item = _item(request, code)
    versions = {v.number: v for v in item.versions.all()}
    if not versions:
        raise Http404
    numbers = sorted(versions)

    def pick(name, default):
        try:
            return int(request.GET.get(name, default))
        except (TypeError, ValueError):
            return default

    current = item.current.number if item.current is not None else numbers[-1]
    new_n = pick("to", numbers[-1])
    old_n = pick("from", current if current != new_n else (numbers[-2] if len(numbers) > 1 else new_n))
    if old_n not in versions or new_n not in versions:
        messages.error(request, "没有这个版本号。")
        old_n, new_n = numbers[0], numbers[-1]
    old, new = versions[old_n], versions[new_n]
    return TemplateResponse(request, "standards/admin/diff.html", {
        "item": item, "old": old, "new": new, "numbers": numbers,
        "changes": diff_versions(old.content, new.content),
    })


def _run(request, pk: int) -> Propagation:
    """A propagation of this county's own item (its page lists the points it reached)."""
    run = (Propagation.objects.select_related("version", "version__item")
           .filter(pk=pk, version__item__in=_visible_items(request)).first())
    if run is None:
        raise Refused("本县没有这次推送。", 404)
    if not _editable(request, run.version.item):
        raise Refused("共用事项的推送由运维人员跟踪，各县不能查看或重试。")
    return run


@central_admin_only
def propagation_detail(request, pk: int):
    run = _run(request, pk)
    progress = propagation.progress(run)
    status = request.GET.get("status", "")
    targets = PropagationTarget.objects.filter(propagation=run).select_related("point").order_by("point__region_code")
    trouble = targets.filter(status__in=[TargetStatus.CONFLICT, TargetStatus.FAILED])
    if status in TargetStatus.values:
        targets = targets.filter(status=status)
    running = run.status == PropagationStatus.RUNNING

    def with_guide(rows) -> list[tuple[PropagationTarget, str]]:
        """(target, the address of the item's guide at its point)"""
        return [(target, point_url(request, target.point, f"/items/{run.version.code}/")) for target in rows]

    return TemplateResponse(request, "standards/admin/propagation.html", {
        "run": run, "version": run.version, "item": run.version.item, "progress": progress,
        "trouble": with_guide(trouble), "targets": with_guide(targets[:500]), "status": status, "running": running,
        "refresh": REFRESH_SECONDS if running else None,
        "statuses": [(s, label, progress.get(s, 0)) for s, label in TargetStatus.choices],
    })


@central_admin_only
@require_POST
def propagation_retry(request, pk: int):
    run = _run(request, pk)
    count = propagation.retry_failed(run)
    messages.success(request, f"已重新推送 {count} 个失败的服务点。" if count else "没有失败的服务点。")
    return redirect("standards_propagation", pk=run.pk)


# --- import and export ---------------------------------------------------------

@central_admin_only
def export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "json"):
        raise Http404
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"standard_items.{fmt}"
        # Only what this county may see: its own items and the shared ones.
        exporting.export(path, exporting.current_records(_visible_items(request)))
        data = path.read_bytes()
    kind = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
            else "application/json; charset=utf-8")
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="standard_items.{fmt}"'
    return response


def menu_url() -> str:
    return reverse("standards_list")
