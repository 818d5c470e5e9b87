"""The result pages' URLs and menu items in the workbench (imported by cases.wagtail_hooks)."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import access, ratings
from . import result_admin as views


@hooks.register("register_admin_urls")
def register_result_urls():
    return [
        path("cases/<int:case_id>/results/", views.case_results, name="cases_results"),
        path("cases/<int:case_id>/results/<int:result_id>.pdf", views.result_file, name="cases_result_file"),
        path("cases/<int:case_id>/rate/", views.rate_tablet, name="cases_rate_tablet"),
        path("cases/follow-ups/", views.follow_ups, name="cases_follow_ups"),
        path("cases/follow-ups/<int:follow_up_id>/", views.follow_up, name="cases_follow_up"),
        path("cases/tracking/", views.tracking_import, name="cases_tracking"),
    ]


class FollowUpMenuItem(MenuItem):
    def is_shown(self, request):
        point = getattr(request, "point", None)
        return point is not None and ratings.may_follow_up(request.user, point)


class TrackingMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_open_cases(request.user, getattr(request, "point", None))


@hooks.register("register_cases_menu_item")
def register_follow_up_item():
    return FollowUpMenuItem("差评整改", reverse("cases_follow_ups"), name="cases-follow-ups", icon_name="warning",
                            order=500)


@hooks.register("register_cases_menu_item")
def register_tracking_item():
    return TrackingMenuItem("运单号导入", reverse("cases_tracking"), name="cases-tracking", icon_name="upload",
                            order=600)
