"""Views of the tenancy layer: media per point, the network directory, entering a lower point."""
from pathlib import Path

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST
from django.views.static import serve

from . import access
from .links import point_url
from .models import ServicePoint, Tier


def media(request, path: str):
    """Serve an upload from the current point's own folder (in production too:
    the host decides the folder, so no proxy rule can mix points up)."""
    if connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise Http404
    root = Path(settings.MEDIA_ROOT) / connection.schema_name
    return serve(request, path, document_root=str(root))


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


def enter(request, token: str):
    """Land at this point with a token issued by a point above it."""
    user = access.redeem_entry_token(token, target=request.point)
    if user is None:
        raise PermissionDenied("进入链接无效或已过期，请回到上级服务点重新进入。")
    login(request, user, backend="tenants.auth.PointRoleBackend")
    return HttpResponseRedirect("/admin/")
