"""Search statistics (a point's editors) and the synonym table (the county's
central admins) in the Wagtail admin; the views check again."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from tenants import access

from . import admin_views


@hooks.register("register_admin_urls")
def register_search_urls():
    return [
        path("search-stats/", admin_views.search_stats, name="search_stats"),
        path("search-synonyms/", admin_views.synonym_table, name="search_synonyms"),
    ]


class StatsMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_read_search_stats(request.user, getattr(request, "point", None))


class SynonymsMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_manage_standards(request.user, getattr(request, "point", None))


@hooks.register("register_admin_menu_item")
def register_stats_menu_item():
    return StatsMenuItem("搜索统计", reverse("search_stats"), icon_name="search", order=180)


@hooks.register("register_admin_menu_item")
def register_synonyms_menu_item():
    return SynonymsMenuItem("搜索同义词", reverse("search_synonyms"), icon_name="list-ul", order=145)
