"""Admin pages of the tenancy layer: the points below this one, and onboarding."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from . import access
from .forms import OnboardPointForm
from .links import point_url
from .onboarding import OnboardingError, onboard_point


def network(request):
    point = request.point
    return TemplateResponse(request, "tenants/admin/network.html", {
        "point": point,
        "below": access.points_user_can_enter(request.user, point),
        "may_onboard": access.parents_user_may_onboard_under(request.user, point).exists(),
    })


def onboard(request):
    parents = list(access.parents_user_may_onboard_under(request.user, request.point))
    if not parents:
        raise PermissionDenied("您没有在此新建服务点的权限。")
    form = OnboardPointForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            point = onboard_point(form.to_spec())
        except OnboardingError as exc:
            for field, problems in exc.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, f"已创建“{point.name}”：{point_url(request, point)}")
            return redirect("yimen_network")
    return TemplateResponse(request, "tenants/admin/onboard.html", {"form": form})
