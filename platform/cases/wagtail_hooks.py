"""办件 in every point's Wagtail admin: the clerk's workbench URLs and its menu
(shown to window staff, desk staff and those who oversee the point; the views
check again)."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import access, park_hooks, result_hooks, workbench  # noqa: F401 - result_hooks, park_hooks register pages
from . import admin_views as views


@hooks.register("register_admin_urls")
def register_cases_urls():
    return [
        path("cases/", views.case_list, name="cases_list"),
        path("cases/new/", views.intake, name="cases_new"),
        path("cases/inbox/", views.inbox_view, name="cases_inbox"),
        path("cases/queue/", views.queue, name="cases_queue"),
        path("cases/<int:case_id>/", views.case_detail, name="cases_case"),
        path("cases/<int:case_id>/step/", views.case_step, name="cases_step"),
        path("cases/<int:case_id>/notice/", views.notice_print, name="cases_notice"),
        path("cases/<int:case_id>/receipt/", views.receipt_print, name="cases_receipt"),
    ]


def _point(request):
    return getattr(request, "point", None)


class IntakeMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_open_cases(request.user, _point(request))


class InboxMenuItem(MenuItem):
    def is_shown(self, request):
        return workbench.works_inbox(request.user, _point(request))


class QueueMenuItem(MenuItem):
    def is_shown(self, request):
        return workbench.sees_queue(request.user, _point(request))


class AllCasesMenuItem(MenuItem):
    def is_shown(self, request):
        return workbench.may_use(request.user, _point(request))


@hooks.register("register_cases_menu_item")
def register_intake_item():
    return IntakeMenuItem("收件", reverse("cases_new"), name="cases-new", icon_name="plus", order=100)


@hooks.register("register_cases_menu_item")
def register_inbox_item():
    return InboxMenuItem("待办", reverse("cases_inbox"), name="cases-inbox", icon_name="mail", order=200)


@hooks.register("register_cases_menu_item")
def register_queue_item():
    return QueueMenuItem("部门队列", reverse("cases_queue"), name="cases-queue", icon_name="list-ul", order=300)


@hooks.register("register_cases_menu_item")
def register_all_cases_item():
    return AllCasesMenuItem("全部办件", reverse("cases_list"), name="cases-all",
                            icon_name="folder-open-inverse", order=400)


@hooks.register("register_admin_menu_item")
def register_cases_menu():
    return SubmenuMenuItem("办件", Menu(register_hook_name="register_cases_menu_item"), name="cases",
                           icon_name="tasks", order=120)
