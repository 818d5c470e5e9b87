"""Wagtail hooks of 部门窗口 and 工作日历 (imported by CasesConfig.ready(): the
case workbench has cases.wagtail_hooks). The views check permission again."""
from __future__ import annotations

from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from tenants import access

from . import calendar_admin, calendar_views, desk_views


@hooks.register("register_admin_urls")
def register_desk_and_calendar_urls():
    return [
        path("desks/", desk_views.desk_list, name="cases_desks"),
        path("desks/<int:desk_id>/remove/", desk_views.desk_remove, name="cases_desk_remove"),
        path("workdays/", calendar_views.calendar, name="cases_calendar"),
    ]


def _point(request):
    return getattr(request, "point", None)


class DesksMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_manage_people(request.user, _point(request))


class CalendarMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_edit_workday_calendar(request.user, _point(request))


@hooks.register("register_settings_menu_item")
def register_desks_menu_item():
    return DesksMenuItem("部门窗口", reverse("cases_desks"), icon_name="group", order=810)


@hooks.register("register_settings_menu_item")
def register_calendar_menu_item():
    return CalendarMenuItem("工作日历", reverse("cases_calendar"), icon_name="date", order=820)


class MissingScheduleWarning(Component):
    """The dashboard's warning that a year's official schedule is missing."""

    order = 10  # above Wagtail's own panels

    def __init__(self, message: str):
        self.message = message

    def render_html(self, parent_context=None):
        return format_html('<section class="help-block help-warning" role="status" aria-label="工作日历提示">'
                           "<p>{}</p></section>", self.message)


@hooks.register("construct_homepage_panels")
def add_missing_schedule_warning(request, panels):
    if not access.sees_workday_warning(request.user, _point(request)):
        return
    message = calendar_admin.warning(timezone.localdate())
    if message:
        panels.append(MissingScheduleWarning(message))
