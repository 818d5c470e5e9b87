"""事项标准库 in the county point's Wagtail admin: its URLs and menu item
(shown only to the county's central admins; the views check again)."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from tenants import access

from . import admin_views as views
from . import import_views


@hooks.register("register_admin_urls")
def register_standards_urls():
    return [
        path("standards/", views.item_list, name="standards_list"),
        path("standards/import/", import_views.import_upload, name="standards_import"),
        path("standards/imports/", import_views.batch_list, name="standards_batches"),
        path("standards/imports/<int:pk>/", import_views.batch_detail, name="standards_batch"),
        path("standards/imports/<int:pk>/approve/", import_views.batch_approve, name="standards_batch_approve"),
        path("standards/imports/<int:pk>/reject/", import_views.batch_reject, name="standards_batch_reject"),
        path("standards/export/", views.export, name="standards_export"),
        path("standards/items/<str:code>/", views.item_detail, name="standards_item"),
        path("standards/items/<str:code>/draft/", views.draft_new, name="standards_draft_new"),
        path("standards/items/<str:code>/diff/", views.diff, name="standards_diff"),
        path("standards/versions/<int:pk>/", views.version_detail, name="standards_version"),
        path("standards/versions/<int:pk>/edit/", views.draft_edit, name="standards_edit"),
        path("standards/versions/<int:pk>/submit/", views.submit, name="standards_submit"),
        path("standards/versions/<int:pk>/reject/", views.reject, name="standards_reject"),
        path("standards/versions/<int:pk>/publish/", views.publish, name="standards_publish"),
        path("standards/versions/<int:pk>/discard/", views.discard, name="standards_discard"),
        path("standards/propagations/<int:pk>/", views.propagation_detail, name="standards_propagation"),
        path("standards/propagations/<int:pk>/retry/", views.propagation_retry, name="standards_propagation_retry"),
    ]


class StandardsMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_manage_standards(request.user, getattr(request, "point", None))


@hooks.register("register_admin_menu_item")
def register_standards_menu_item():
    return StandardsMenuItem("事项标准库", reverse("standards_list"), icon_name="doc-full-inverse", order=140)
