"""赋权强园 in the Wagtail admin: shown to a county's central admins and to a
park's admins (read-only); the views check again."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import access
from . import admin_views as views


@hooks.register("register_admin_urls")
def register_powers_urls():
    return [
        path("powers/", views.grant_list, name="powers_list"),
        path("powers/new/", views.grant_form, name="powers_new"),
        path("powers/import/", views.import_view, name="powers_import"),
        path("powers/export/", views.export, name="powers_export"),
        path("powers/activate/", views.activate_selected, name="powers_activate_selected"),
        path("powers/<int:grant_id>/", views.grant_detail, name="powers_grant"),
        path("powers/<int:grant_id>/edit/", views.grant_form, name="powers_edit"),
        path("powers/<int:grant_id>/step/", views.grant_step, name="powers_step"),
        path("powers/<int:grant_id>/file/<str:kind>/", views.grant_file, name="powers_file"),
    ]


class PowersMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_read(request.user, getattr(request, "point", None))


@hooks.register("register_admin_menu_item")
def register_powers_menu():
    return PowersMenuItem("赋权强园", reverse("powers_list"), name="powers", icon_name="key", order=150)
