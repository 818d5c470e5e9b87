"""The network host's public result pages (no sign-in): /verify/<token> for an
electronic result, /rate/<token>/ from the receipt's QR code. Views parse, call
cases.results / cases.ratings and render."""
from __future__ import annotations

import re

from django.conf import settings
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import ratings, results
from .errors import CaseError
from .models import ElectronicResult, Rating, RatingChannel

TOKEN = re.compile(r"[A-Za-z0-9_-]{1,43}")
CHECK_LIMIT_DEFAULT = 10 * 1024 * 1024


def network_root(request) -> str:
    """The network's own host, in the scheme and port this request came in on (the QR codes' target)."""
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{settings.BASE_DOMAIN}{suffix}"


def find_result(token: str) -> ElectronicResult | None:
    if not TOKEN.fullmatch(token or ""):
        return None  # not one we issue (secrets.token_urlsafe): no query
    return ElectronicResult.objects.select_related("case").filter(token=token).first()


def _check_upload(request, result: ElectronicResult) -> dict:
    """Is the uploaded file the original? Read up to the limit; anything longer is not it."""
    upload = request.FILES.get("file")
    if upload is None:
        return {"check_error": "请选择要核验的 PDF 文件。"}
    limit = getattr(settings, "ONLINE_UPLOAD_MAX_BYTES", CHECK_LIMIT_DEFAULT)
    if upload.size > limit:
        return {"check_error": f"文件超过 {limit // (1024 * 1024)} MB，不是本文书的原件。"}
    data = upload.read()
    return {"checked": True, "original": results.matches(result, data),
            "uploaded_sha256": results.fingerprint(data)}


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request, token: str):
    result = find_result(token)
    if result is None:
        return TemplateResponse(request, "cases/online/verify.html", {"missing": True}, status=404)
    context = {"result": result, "view": results.public_view(result)}
    if request.method == "POST":
        context.update(_check_upload(request, result))
    return TemplateResponse(request, "cases/online/verify.html", context)


def rating_page(request, case, *, channel: str, template: str = "cases/online/rate.html", extra: dict | None = None):
    """Shared by the QR page, 我的办件 and the window's tablet: the form, or the rating and its reply."""
    context = {"case": case, "grades": sorted(ratings.GRADES.items(), reverse=True), **(extra or {})}
    status = 200
    if request.method == "POST":
        try:
            ratings.rate(case.pk, request.POST.get("grade"), request.POST.get("comment", ""), channel=channel)
            context["thanks"] = True
        except CaseError as error:
            context["error"], status = str(error), 400
            context["comment"] = request.POST.get("comment", "")[:500]
    context["rating"] = Rating.objects.select_related("follow_up").filter(case=case).first()
    return TemplateResponse(request, template, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request, token: str):
    case = ratings.case_for(token)
    if case is None:
        raise Http404("评价链接无效。")
    return rating_page(request, case, channel=RatingChannel.QR)
