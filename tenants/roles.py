"""Role groups of a point and what each role may do.

Each point gets one auth group per role (`<slug>:<role>`). Django model
permissions sit on the group and count only where PointRoleBackend says;
Wagtail page and collection permissions are rows in the point's own schema
(cms.site_setup), so they cannot leak to another point.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django_tenants.utils import tenant_context
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from accounts.models import User

from . import access, active_schema
from .hooks import role_revoked
from .models import PointGroup, Role, ServicePoint, Tier

_MEDIA = [
    "wagtailimages.add_image", "wagtailimages.change_image", "wagtailimages.choose_image",
    "wagtaildocs.add_document", "wagtaildocs.change_document", "wagtaildocs.choose_document",
]
_MANAGE = _MEDIA + ["wagtailimages.delete_image", "wagtaildocs.delete_document"]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: ["wagtailadmin.access_admin", *_MANAGE],
    Role.CENTRAL_ADMIN: ["wagtailadmin.access_admin", *_MANAGE, "tenants.add_servicepoint"],
    Role.EDITOR: ["wagtailadmin.access_admin", *_MEDIA],
    Role.CLERK: ["wagtailadmin.access_admin"],
    Role.SUPERVISOR: ["wagtailadmin.access_admin"],
}
# Wagtail page permission types per role, on the point's home page.
_EDIT_PAGES = ["add_page", "change_page", "lock_page"]
_PUBLISH_PAGES = _EDIT_PAGES + ["publish_page", "bulk_delete_page", "unlock_page"]
PAGE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: _PUBLISH_PAGES,
    Role.CENTRAL_ADMIN: _PUBLISH_PAGES,
    Role.EDITOR: _EDIT_PAGES,
}
# Collection permissions (images, documents) per role, on the root collection.
COLLECTION_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: _MANAGE,
    Role.CENTRAL_ADMIN: _MANAGE,
    Role.EDITOR: _MEDIA,
}


def roles_for_tier(tier: str) -> list[str]:
    roles: list[str] = [Role.ADMIN, Role.EDITOR, Role.CLERK, Role.SUPERVISOR]
    if tier == Tier.COUNTY:
        roles.append(Role.CENTRAL_ADMIN)
    return roles


def permissions_named(names: list[str]) -> list[Permission]:
    query = Q()
    for name in names:
        app_label, codename = name.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query))
    if len(found) != len(set(names)):
        missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
        raise LookupError(f"permissions missing (run migrations first): {sorted(missing)}")
    return found


def create_role_groups(point: ServicePoint) -> list[PointGroup]:
    created = []
    for role in roles_for_tier(point.tier):
        group = Group.objects.create(name=f"{point.slug}:{role}")
        group.permissions.set(permissions_named(ROLE_PERMISSIONS[role]))
        created.append(PointGroup.objects.create(point=point, role=role, group=group))
    return created


def role_group(point: ServicePoint, role: str) -> Group:
    try:
        return PointGroup.objects.select_related("group").get(point=point, role=role).group
    except PointGroup.DoesNotExist:
        raise ValueError(f"{point.name} 没有“{Role(role).label}”岗位") from None


@transaction.atomic
def grant_role(user, point: ServicePoint, role: str) -> None:
    user.groups.add(role_group(point, role))
    access.forget_roles()


@transaction.atomic
def revoke_role(user, point: ServicePoint, role: str) -> None:
    user.groups.remove(role_group(point, role))
    access.forget_roles()
    role_revoked.send(sender=ServicePoint, point=point, user=user, role=role)


# --- 人员与角色: a point's admins grant and revoke roles there ---------------
# Each change is written to Wagtail's audit log in the point's own schema
# (ModelLogEntry on the user: who, when, which role), so the record travels
# with the point's archive and no other point can read it.

GRANT_ACTION = "yimen.role.grant"
REVOKE_ACTION = "yimen.role.revoke"
# The order the screen offers them in: from the window up.
ROLE_ORDER = [Role.CLERK, Role.EDITOR, Role.SUPERVISOR, Role.ADMIN, Role.CENTRAL_ADMIN]
_ADMIN_ROLES = {Role.ADMIN, Role.CENTRAL_ADMIN}


class RoleError(Exception):
    """Refused: nothing was changed. `str(error)` is the message for the user, in Chinese."""


@dataclass
class Staff:
    user: User
    roles: list[str]  # held at the point itself, in ROLE_ORDER

    @property
    def role_labels(self) -> list[tuple[str, str]]:
        return [(role, Role(role).label) for role in self.roles]


def grantable_roles(by, point: ServicePoint) -> list[str]:
    """The roles `by` may grant or revoke at `point` (none if not its admin)."""
    if not access.may_manage_people(by, point):
        return []
    offered = set(roles_for_tier(point.tier))
    if not access.may_grant_central_admin(by, point):
        offered.discard(Role.CENTRAL_ADMIN)
    return [str(role) for role in ROLE_ORDER if role in offered]


def staff_at(point: ServicePoint) -> list[Staff]:
    """Everyone holding a role at `point` itself, by username."""
    held: dict[int, set[str]] = {}
    for role, user_id in PointGroup.objects.filter(point=point, group__user__isnull=False) \
            .values_list("role", "group__user"):
        held.setdefault(user_id, set()).add(role)
    users = get_user_model().objects.filter(pk__in=held).order_by("username")
    return [Staff(user, [str(r) for r in ROLE_ORDER if r in held[user.pk]]) for user in users]


def network_user(point: ServicePoint, username: str):
    """The account `username` if it holds a role somewhere in the point's county
    network (an admin picks colleagues, not accounts of other counties); else None."""
    return get_user_model().objects.filter(
        username=username, groups__point_group__point__in=point.network()).distinct().first()


def _check(by, point: ServicePoint, role: str) -> None:
    if not access.may_manage_people(by, point):
        raise RoleError(f"您不是{point.name}或其上级的管理员，不能管理本点人员和角色。")
    if role not in grantable_roles(by, point):
        if role == Role.CENTRAL_ADMIN and point.tier == Tier.COUNTY:
            raise RoleError("中心管理员角色只能由县中心管理员授予或撤销。")
        raise RoleError(f"{point.name}没有可授予的“{_label(role)}”角色。")


def _label(role: str) -> str:
    return Role(role).label if role in Role.values else role


def _log(point: ServicePoint, user, action: str, role: str, by) -> None:
    data = {"role": role, "role_label": _label(role), "point": point.slug, "by": by.username}
    title = f"{user.username}（{user.first_name}）" if user.first_name else user.username
    if active_schema.current() == point.schema_name:
        log(instance=user, action=action, user=by, data=data, title=title)
    else:
        with tenant_context(point):
            log(instance=user, action=action, user=by, data=data, title=title)


@transaction.atomic
def grant(by, point: ServicePoint, username: str, role: str) -> User:
    """Grant `role` at `point` to an existing account of the county network."""
    _check(by, point, role)
    username = username.strip()
    user = network_user(point, username)
    if user is None:
        raise RoleError(f"本县服务网络中没有账号“{username}”。新建账号请同时填写姓名和密码。")
    if not user.is_active:
        raise RoleError(f"账号“{username}”已停用，不能授予角色。")
    if role in access.roles_held_at(user, point):
        raise RoleError(f"“{username}”已经是{point.name}的{_label(role)}，未做任何更改。")
    grant_role(user, point, role)
    _log(point, user, GRANT_ACTION, role, by)
    return user


@transaction.atomic
def create_and_grant(by, point: ServicePoint, username: str, full_name: str, password: str, role: str) -> User:
    """A new account (password checked by AUTH_PASSWORD_VALIDATORS) holding `role` at `point`."""
    _check(by, point, role)
    username, full_name = username.strip(), full_name.strip()
    User_ = get_user_model()
    problems: list[str] = []
    if not username:
        problems.append("请填写用户名。")
    else:
        try:
            User_._meta.get_field("username").run_validators(username)
        except ValidationError as exc:
            problems += exc.messages
        if User_.objects.filter(username=username).exists():
            problems.append(f"用户名“{username}”已被使用，请换一个；授权已有账号时不填密码。")
    if not full_name:
        problems.append("请填写姓名。")
    try:
        validate_password(password, user=User_(username=username, first_name=full_name))
    except ValidationError as exc:
        problems += exc.messages
    if problems:
        raise RoleError(" ".join(problems))
    user = User_(username=username, first_name=full_name)
    user.set_password(password)
    user.save()
    grant_role(user, point, role)
    _log(point, user, GRANT_ACTION, role, by)
    return user


@transaction.atomic
def revoke(by, point: ServicePoint, user, role: str) -> None:
    """Take `role` at `point` from `user`. Nobody takes away their own last admin role here."""
    _check(by, point, role)
    held = access.roles_held_at(user, point)
    if role not in held:
        raise RoleError(f"“{user.username}”不是{point.name}的{_label(role)}，未做任何更改。")
    if user.pk == by.pk and role in _ADMIN_ROLES and not (held - {role}) & _ADMIN_ROLES:
        raise RoleError(f"不能撤销您自己在{point.name}的最后一个管理员角色：撤销后您将无法再管理本点人员。"
                        "如需交接，请由另一位管理员撤销。")
    revoke_role(user, point, role)
    _log(point, user, REVOKE_ACTION, role, by)


def role_changes(point: ServicePoint, limit: int = 20):
    """The latest grants and revocations at `point` (Wagtail's log in its schema)."""
    with tenant_context(point):
        return list(ModelLogEntry.objects.filter(action__in=[GRANT_ACTION, REVOKE_ACTION])
                    .order_by("-timestamp", "-pk")[:limit])
