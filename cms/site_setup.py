"""A point's Wagtail site: home page, Site with its own hostname, and the
page/collection permissions of the role groups that may act there."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django_tenants.utils import get_public_schema_name, schema_context
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
)

from tenants.access import authority_groups
from tenants.models import Role, ServicePoint
from tenants.roles import COLLECTION_PERMISSIONS, PAGE_PERMISSIONS, permissions_named

from .adoption import adopt_for_tier
from .models import HomePage

# Wagtail's initial migration creates these two groups in auth_group. auth is
# shared, so the second schema to migrate would collide on the unique name:
# each schema drops them (and its rows that point at them) right after migrating.
WAGTAIL_STOCK_GROUPS = ("Moderators", "Editors")


def drop_wagtail_stock_groups() -> None:
    Group.objects.filter(name__in=WAGTAIL_STOCK_GROUPS, point_group__isnull=True).delete()


def drop_wagtail_stock_groups_after_migrate(sender, schema_name, **kwargs) -> None:
    if schema_name != get_public_schema_name():
        with schema_context(schema_name):
            drop_wagtail_stock_groups()


def reset_fresh_schema() -> None:
    """Undo what Wagtail's data migrations leave in a freshly migrated schema.

    They make a 'Welcome' page and a localhost Site (a point has its own), and
    grant page, collection and approval rights to groups found in auth_group.
    auth is shared, so those are the role groups of *every other point*: left
    alone, a new point would open its collections to all of them.
    """
    Site.objects.all().delete()
    for page in Page.objects.filter(depth=2):
        page.delete()
    GroupPagePermission.objects.all().delete()
    GroupCollectionPermission.objects.all().delete()
    GroupApprovalTask.groups.through.objects.all().delete()


def set_up_new_point(sender, point: ServicePoint, **kwargs) -> None:
    """tenants.hooks.point_schema_created: the site first (guides go under its home page)."""
    install_point_site(point)
    adopt_for_tier(point)


def reset_template_schema(sender, **kwargs) -> None:
    """tenants.hooks.template_schema_migrated."""
    reset_fresh_schema()


def install_point_site(point: ServicePoint) -> HomePage:
    """Run inside the point's schema, on a schema fresh from migrations or the template."""
    if Site.objects.exists():  # migrated just now, not made from the template
        reset_fresh_schema()
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title=point.name, slug="home", seo_title=point.name))
    Site.objects.create(hostname=point.primary_host, port=80, root_page=home,
                        is_default_site=True, site_name=point.name)
    _grant_site_permissions(point, home)
    return home


def _grant_site_permissions(point: ServicePoint, home: HomePage) -> None:
    groups = list(authority_groups(point).select_related("group"))
    names = {f"wagtailcore.{c}" for role in PAGE_PERMISSIONS.values() for c in role}
    names |= {n for role in COLLECTION_PERMISSIONS.values() for n in role}
    by_name = {f"{p.content_type.app_label}.{p.codename}": p
               for p in permissions_named(sorted(names))}
    collection = Collection.get_first_root_node()
    GroupPagePermission.objects.bulk_create([
        GroupPagePermission(group=pg.group, page=home, permission=by_name[f"wagtailcore.{codename}"])
        for pg in groups for codename in PAGE_PERMISSIONS.get(pg.role, [])
    ])
    GroupCollectionPermission.objects.bulk_create([
        GroupCollectionPermission(group=pg.group, collection=collection, permission=by_name[name])
        for pg in groups for name in COLLECTION_PERMISSIONS.get(pg.role, [])
    ])
    # Editors submit for moderation; the point's admins (and those above) approve.
    approvers = [pg.group for pg in groups if pg.role in (Role.ADMIN, Role.CENTRAL_ADMIN)]
    for task in GroupApprovalTask.objects.filter(active=True):
        task.groups.add(*approvers)
