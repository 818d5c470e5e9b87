from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import access, admin_views, lockout_views, role_views, roles


@hooks.register("register_admin_urls")
def register_network_urls():
    return [
        path("network/", admin_views.network, name="yimen_network"),
        path("network/onboard/", admin_views.onboard, name="yimen_onboard"),
        path("sign-in-locks/", lockout_views.sign_in_locks, name="yimen_sign_in_locks"),
        path("people/", role_views.people, name="yimen_people"),
        path("people/<int:user_id>/revoke/<str:role>/", role_views.revoke, name="yimen_revoke_role"),
    ]


class NetworkMenuItem(MenuItem):
    def is_shown(self, request):
        point = getattr(request, "point", None)
        return access.points_user_can_enter(request.user, point).exists() or \
            access.parents_user_may_onboard_under(request.user, point).exists()


@hooks.register("register_admin_menu_item")
def register_network_menu_item():
    return NetworkMenuItem("下级服务点", reverse("yimen_network"), icon_name="site", order=150)


class SignInLocksMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_lift_sign_in_locks(request.user, getattr(request, "point", None))


@hooks.register("register_settings_menu_item")
def register_sign_in_locks_menu_item():
    return SignInLocksMenuItem("登录锁定", reverse("yimen_sign_in_locks"), icon_name="lock", order=900)


class PeopleMenuItem(MenuItem):
    def is_shown(self, request):
        return access.may_manage_people(request.user, getattr(request, "point", None))


@hooks.register("register_settings_menu_item")
def register_people_menu_item():
    return PeopleMenuItem("人员与角色", reverse("yimen_people"), icon_name="group", order=800)


@hooks.register("register_log_actions")
def register_role_log_actions(actions):
    actions.register_action(roles.GRANT_ACTION, "授予角色", "授予角色")
    actions.register_action(roles.REVOKE_ACTION, "撤销角色", "撤销角色")
