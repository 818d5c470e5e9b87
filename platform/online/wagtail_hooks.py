"""The workbench's link to an online case's files (online.staff_views), in every point's admin."""
from django.urls import path
from wagtail import hooks

from . import staff_views


@hooks.register("register_admin_urls")
def register_online_urls():
    return [path("cases/<int:case_id>/files/<uuid:key>/", staff_views.case_file, name="online_case_file")]
