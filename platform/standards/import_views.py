"""导入 in 事项标准库: upload a catalogue file, see every row checked, submit
it for review; the import batches, where another central admin of the county
publishes a whole file at once or returns it with a reason (four eyes,
standards/batches.py).

An uploaded file waits in IMPORT_DIR between the check and the submission,
named by a random token kept in the uploader's session. Uploads never
submitted are removed after UPLOAD_TTL, at the next upload (`sweep_uploads`).
"""
from __future__ import annotations

import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from . import authority, batches, import_report, importing, services
from .admin_views import Refused, central_admin_only
from .diff import diff_versions
from .forms import ImportUploadForm, RejectForm
from .models import BatchStatus, ImportBatch, VersionStatus

IMPORT_DIR = Path(tempfile.gettempdir()) / "yimen-standard-imports"
SESSION_KEY = "standards_import"
UPLOAD_TTL = timedelta(hours=6)
PAGE_SIZE = 30


def sweep_uploads(max_age: timedelta = UPLOAD_TTL) -> int:
    """Remove uploads older than `max_age` (checked and never submitted); returns how many."""
    if not IMPORT_DIR.is_dir():
        return 0
    cutoff = time.time() - max_age.total_seconds()
    removed = 0
    for path in IMPORT_DIR.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed by another request meanwhile
            continue
    return removed


def _stored_upload(request) -> tuple[Path, str, str] | None:
    stored = request.session.get(SESSION_KEY)
    if not stored:
        return None
    path = IMPORT_DIR / stored["file"]
    return (path, stored["name"], stored.get("note", "导入")) if path.exists() else None


def _forget_upload(request) -> None:
    stored = request.session.pop(SESSION_KEY, None)
    if stored:
        (IMPORT_DIR / stored["file"]).unlink(missing_ok=True)


@central_admin_only
def import_upload(request):
    """Upload → check every row (nothing imported) → the report → submit for review."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    owner = authority.of_point(request.point)
    report = None
    if request.method == "POST" and request.POST.get("confirm"):
        stored = _stored_upload(request)
        if stored is None:
            messages.error(request, "上传的文件已失效，请重新上传。")
            return redirect("standards_import")
        path, name, note = stored
        try:
            report = importing.import_file(path, name, submitted_by=request.user, note=note, owner=owner)
        except import_report.ImportRejected as exc:
            report = exc.report
            messages.error(request, f"{name} 有 {len(report.problems)} 个问题，未导入任何事项。")
        else:
            _forget_upload(request)
            if report.batch is None:
                messages.success(request, f"{name}：{report.summary()}")
                return redirect("standards_list")
            messages.success(request, f"{name}：{report.summary()}请另一位中心管理员在本页审核发布。")
            return redirect("standards_batch", pk=report.batch.pk)
    elif request.method == "POST" and form.is_valid():
        sweep_uploads()
        _forget_upload(request)  # a new file replaces the one checked before
        upload = form.cleaned_data["file"]
        IMPORT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = secrets.token_hex(12) + Path(upload.name).suffix.lower()
        path = IMPORT_DIR / token
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            report = importing.import_file(path, upload.name, dry_run=True, owner=owner)
        except import_report.ImportRejected as exc:
            report = exc.report
            path.unlink(missing_ok=True)
        else:
            request.session[SESSION_KEY] = {"file": token, "name": upload.name,
                                            "note": form.cleaned_data.get("note") or "导入"}
    return TemplateResponse(request, "standards/admin/import.html", {
        "form": form, "report": report,
        "changed": [c for c, o in (report.outcomes.items() if report else []) if o != import_report.UNCHANGED],
        "outcome_labels": import_report.OUTCOME_LABELS,
        "pending": _batches(request).filter(status=BatchStatus.REVIEW).count(),
    }, status=400 if report is not None and report.problems else 200)


# --- batches -------------------------------------------------------------------

def _batches(request):
    """This county's batches only (a cell may hold several counties)."""
    return ImportBatch.objects.filter(authority=authority.of_point(request.point))


def _batch(request, pk: int) -> ImportBatch:
    batch = _batches(request).select_related("uploaded_by", "reviewed_by").filter(pk=pk).first()
    if batch is None:
        raise Refused("本县没有这个导入批次。", 404)
    return batch


def may_approve(user, batch: ImportBatch) -> bool:
    return batch.status == BatchStatus.REVIEW and not (
        settings.STANDARDS_FOUR_EYES and batch.uploaded_by_id == user.pk)


@central_admin_only
def batch_list(request):
    page = Paginator(_batches(request).select_related("uploaded_by", "reviewed_by"), PAGE_SIZE)
    return TemplateResponse(request, "standards/admin/batches.html", {
        "page": page.get_page(request.GET.get("p")),
    })


def _entries(batch: ImportBatch) -> list[dict]:
    """Each version of the batch with its changes against the version before it."""
    entries = []
    for version in batch.versions.select_related("item").order_by("item__code"):
        base = (version.item.versions.filter(number__lt=version.number, status=VersionStatus.PUBLISHED)
                .order_by("-number").first())
        entries.append({"version": version, "base": base, "new": base is None,
                        "changes": diff_versions(base.content if base else {}, version.content)})
    return entries


@central_admin_only
def batch_detail(request, pk: int):
    batch = _batch(request, pk)
    entries = _entries(batch)
    return TemplateResponse(request, "standards/admin/batch.html", {
        "batch": batch, "entries": entries, "reject_form": RejectForm(), "title": f"导入批次 {batch.pk}",
        "may_approve": may_approve(request.user, batch),
        "new_count": sum(1 for e in entries if e["new"]),
        "codes": sorted(batch.outcomes.items()),
    })


@central_admin_only
@require_POST
def batch_approve(request, pk: int):
    batch = _batch(request, pk)
    try:
        runs = batches.approve(batch, request.user)
    except services.StandardsError as exc:
        messages.error(request, str(exc))
    else:
        points = sum(run.total for run in runs)
        messages.success(request, f"导入批次 {batch.pk} 的 {len(runs)} 项已发布，正在推送到采用这些事项的服务点"
                                  f"（共 {points} 次）。")
    return redirect("standards_batch", pk=batch.pk)


@central_admin_only
@require_POST
def batch_reject(request, pk: int):
    batch = _batch(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("review_note", []):  # messages (an ErrorList yields text)
            messages.error(request, str(error))
        return redirect("standards_batch", pk=batch.pk)
    try:
        batches.reject(batch, request.user, form.cleaned_data["review_note"])
    except services.StandardsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"导入批次 {batch.pk} 已退回，其中的版本均已撤回，事项保持原样。")
    return redirect("standards_batch", pk=batch.pk)
