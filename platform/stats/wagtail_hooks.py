"""统计分析 in every point's Wagtail admin (shown to supervisors, admins and central admins;
the views check again)."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views as views
from . import dashboard


@hooks.register("register_admin_urls")
def register_stats_urls():
    return [
        path("stats/", views.dashboard_view, name="stats_dashboard"),
        path("stats/<int:point_id>/", views.dashboard_view, name="stats_dashboard_point"),
        path("stats/export/", views.export_view, name="stats_export"),
        path("stats/<int:point_id>/export/", views.export_view, name="stats_export_point"),
    ]


class StatsMenuItem(MenuItem):
    def is_shown(self, request):
        return dashboard.may_view(request.user, getattr(request, "point", None))


@hooks.register("register_admin_menu_item")
def register_stats_menu():
    return StatsMenuItem("统计分析", reverse("stats_dashboard"), name="stats", icon_name="table", order=140)
