from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from tenants import access

from . import admin_views


@hooks.register("register_admin_urls")
def register_catalogue_urls():
    return [
        path("catalogue/", admin_views.catalogue, name="yimen_catalogue"),
        path("standard-updates/", admin_views.update_list, name="yimen_updates"),
        path("standard-updates/<int:pk>/", admin_views.update_decide, name="yimen_update_decide"),
    ]


class CatalogueMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_manage_catalogue(request.user, getattr(request, "point", None))


class UpdatesMenuItem(MenuItem):
    def is_shown(self, request):
        return access.can_act_at(request.user, getattr(request, "point", None))

    def render_component(self, request):
        from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent

        count = admin_views.open_update_count()
        label = f"{self.label}（{count}）" if count else self.label
        return LinkMenuItemComponent(self.name, label, self.url, icon_name=self.icon_name,
                                     classname=self.classname, attrs=self.attrs)


@hooks.register("register_admin_menu_item")
def register_catalogue_menu_item():
    return CatalogueMenuItem("本点事项清单", reverse("yimen_catalogue"), icon_name="list-ul", order=160)


@hooks.register("register_admin_menu_item")
def register_updates_menu_item():
    return UpdatesMenuItem("标准更新待处理", reverse("yimen_updates"), icon_name="warning", order=170)


@hooks.register("insert_global_admin_css")
def admin_contrast_css():
    # Wagtail's own success-message green is below WCAG AA contrast; see the file.
    return format_html('<link rel="stylesheet" href="{}">', static("cms/admin-contrast.css"))
