"""Views of the tenancy layer: uploads per point, the network directory, entering a lower point."""
import posixpath
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.static import serve
from wagtail.documents.views.serve import serve as wagtail_serve_document

from . import access, active_schema, uploads
from .links import point_url
from .models import ServicePoint, Tier


def media(request, path: str):
    """Serve an upload from the current point's own folder (in production too:
    the host decides the folder, so no proxy rule can mix points up).

    Images are shown; anything else is a locked-down download (tenants.uploads).
    Documents are not served here at all: only through `document`, which
    keeps private collections private."""
    path = posixpath.normpath(path).lstrip("/")  # as serve() reads it: no ./documents/ detour
    if active_schema.current() == settings.PUBLIC_SCHEMA_NAME or path.startswith(uploads.DOCUMENTS_FOLDER):
        raise Http404
    root = Path(settings.MEDIA_ROOT) / active_schema.current()
    return uploads.lock_down(serve(request, path, document_root=str(root)), PurePosixPath(path).name)


def document(request, document_id: int, document_filename: str):
    """Wagtail's document view (collection privacy, its own CSP, attachment
    for all but PDF), with any type a browser could render or run made an
    opaque, sandboxed download, also for files stored before the extension
    list (settings.WAGTAILDOCS_EXTENSIONS) kept them out."""
    response = wagtail_serve_document(request, document_id, document_filename)
    if not isinstance(response, FileResponse):
        return response  # a password form, a sign-in redirect, a 304
    return uploads.lock_down(response, document_filename, inline=uploads.INLINE_TYPES | {"application/pdf"})


def network_directory(request):
    """The public host: every point of every county network, by tier."""
    points = list(ServicePoint.objects.real().select_related("parent"))
    tiers = [(label, [(p, point_url(request, p)) for p in points if p.tier == value])
             for value, label in Tier.choices]
    return render(request, "tenants/network_directory.html", {
        "tiers": [(label, members) for label, members in tiers if members],
        "point_count": len(points),
    })


@login_required
@require_POST
def go_to_point(request, slug: str):
    """From a point's admin, open a lower point's admin without a second password."""
    target = get_object_or_404(ServicePoint, slug=slug)
    token = access.issue_entry_token(request.user, source=request.point, target=target)
    return HttpResponseRedirect(point_url(request, target, f"/enter/{token}/"))


@never_cache
@require_http_methods(["GET", "POST"])
def enter(request, token: str):
    """Land at this point with a token issued by a point above it.

    A GET only asks: a link anyone can make the browser follow must not sign
    it in to the token owner's account (login CSRF). The button posts back
    with this host's CSRF token; only that POST uses the token and signs in."""
    if request.method == "POST":
        user = access.redeem_entry_token(token, target=request.point)
    else:
        user = access.entry_token_user(token, target=request.point)
    if user is None:
        raise PermissionDenied("进入链接无效或已过期，请回到上级服务点重新进入。")
    if request.method == "GET":
        return render(request, "tenants/enter.html", {"entering_user": user})
    login(request, user, backend="tenants.auth.PointRoleBackend")
    return HttpResponseRedirect("/admin/")
