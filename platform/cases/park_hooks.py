"""The park's workbench and the county's 见章盖章 list in the Wagtail admin
(imported by cases.wagtail_hooks)."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from powers.models import PowerGrant
from tenants.models import Tier

from . import delegated, park_views, workbench


@hooks.register("register_admin_urls")
def register_park_urls():
    return [
        path("park/", park_views.park_workbench, name="cases_park"),
        path("cases/confirmations/", park_views.confirmations, name="cases_confirmations"),
    ]


def _point(request):
    return getattr(request, "point", None)


class ParkMenuItem(MenuItem):
    def is_shown(self, request):
        point = _point(request)
        return point is not None and point.tier == Tier.PARK and workbench.may_use(request.user, point)


class ConfirmationsMenuItem(MenuItem):
    def is_shown(self, request):
        point = _point(request)
        if point is None or point.tier != Tier.COUNTY or not workbench.may_use(request.user, point):
            return False
        grants = PowerGrant.objects.filter(grantor=point, confirm_by_county=True)
        return any(delegated.confirmer_role(request.user, point, grant) for grant in grants[:50])


@hooks.register("register_admin_menu_item")
def register_park_menu():
    return ParkMenuItem("园区工作台", reverse("cases_park"), name="park-workbench", icon_name="home", order=110)


@hooks.register("register_cases_menu_item")
def register_confirmations_item():
    return ConfirmationsMenuItem("见章盖章", reverse("cases_confirmations"), name="cases-confirmations",
                                 icon_name="tick", order=350)
