"""Role groups of a point and what each role may do.

Each point gets one auth group per role (`<slug>:<role>`). Django model
permissions sit on the group and count only where PointRoleBackend says;
Wagtail page and collection permissions are rows in the point's own schema
(cms.site_setup), so they cannot leak to another point.
"""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

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


@transaction.atomic
def revoke_role(user, point: ServicePoint, role: str) -> None:
    user.groups.remove(role_group(point, role))
