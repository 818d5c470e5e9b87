"""电子监察 in every point's Wagtail admin: its URLs and a menu item shown to the
point's supervisors, admins (and those above) and window staff; the views check again."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views as views
from . import dashboard


@hooks.register("register_admin_urls")
def register_supervision_urls():
    return [
        path("supervision/", views.dashboard_view, name="supervision_dashboard"),
        path("supervision/points/<int:point_id>/", views.dashboard_view, name="supervision_point"),
        path("supervision/warnings/<int:warning_id>/seen/", views.warning_seen, name="supervision_seen"),
        path("supervision/warnings/<int:warning_id>/explain/", views.warning_explain, name="supervision_explain"),
        path("supervision/rules/", views.rules_view, name="supervision_rules"),
    ]


class SupervisionMenuItem(MenuItem):
    def is_shown(self, request):
        return dashboard.may_view(request.user, getattr(request, "point", None))


@hooks.register("register_admin_menu_item")
def register_supervision_menu():
    return SupervisionMenuItem("电子监察", reverse("supervision_dashboard"), name="supervision", icon_name="warning",
                               order=130)
