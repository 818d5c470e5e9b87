"""The scoping layer: the one place that says which point a request or task
is at, which county network a point belongs to, which points a user may see
from there, and so which rows of the shared (public-schema) tables a read may
return.

Shared tables hold rows of every point (search log, adoptions, and soon cases
and grants). A view, API or admin page never filters them by hand
(`.objects.filter(point=…)`): it asks this module, through the
`PointOwnedQuerySet` methods below or the functions here, so that "this
point", "its network" and "what this user may see" mean one thing everywhere.
`tests/test_isolation_walk.py` walks every URL as a user of one point with the
ids of another and proves nothing leaks.

Region codes are 12 digits (GB/T 2260 + township + village). A county
network is everything under one county: the first 6 digits, its
`county_code`. `county_region_code` is the county point's own 12-digit code.
"""
from __future__ import annotations

from django.db import connection, models

from .models import ROLES_REACHING_DOWN, PointGroup, PointStatus, ServicePoint


def current_point(request=None) -> ServicePoint | None:
    """The point a request is at (set by tenants.middleware from the host), or
    else the point whose schema is active (a task, a command in tenant_context);
    None in the public schema."""
    point = getattr(request, "point", None) or getattr(connection, "tenant", None)
    if isinstance(point, ServicePoint) and point.pk:
        return point
    return None


def county_code(point: ServicePoint) -> str:
    """The 6-digit code of the point's county network."""
    return point.county_code


def network(point: ServicePoint) -> models.QuerySet[ServicePoint]:
    """Every point of the point's county network, itself included."""
    return point.network()


def active_network(point: ServicePoint) -> models.QuerySet[ServicePoint]:
    """The points of the network that serve citizens now."""
    return network(point).filter(status=PointStatus.ACTIVE)


def points_visible_to(user, point: ServicePoint | None) -> models.QuerySet[ServicePoint]:
    """The points whose shared rows `user` may read while at `point`: the point
    itself where the user holds any role there (directly or from above), and
    the points below it where the user holds a role that reaches down (admin,
    supervisor, central admin) at the point or above it. Never a sibling, never
    another county."""
    if point is None or not point.pk or not user.is_authenticated or not user.is_active:
        return ServicePoint.objects.none()
    at_or_above = [point.pk, *point.ancestors().values_list("pk", flat=True)]
    held = PointGroup.objects.filter(point_id__in=at_or_above, group__user=user)
    if not held.exists():
        return ServicePoint.objects.none()
    if held.filter(role__in=ROLES_REACHING_DOWN).exists():
        return ServicePoint.objects.filter(models.Q(pk=point.pk) | models.Q(pk__in=point.descendants()))
    return ServicePoint.objects.filter(pk=point.pk)


class PointOwnedQuerySet(models.QuerySet):
    """For shared models whose rows belong to one point (a `point` foreign key,
    or another path to it named by `point_field`)."""

    point_field = "point"
    # A denormalised 6-digit county code column, where the model keeps one (an
    # index on it spares the join to the points).
    county_field: str | None = None

    def of_point(self, point: ServicePoint):
        """The rows of exactly this point."""
        return self.filter(**{self.point_field: point})

    def in_network(self, point: ServicePoint):
        """The rows of every point of the point's county network."""
        if self.county_field:
            return self.filter(**{self.county_field: point.county_code})
        return self.filter(**{f"{self.point_field}__region_code__startswith": point.county_code})

    def visible_to(self, user, point: ServicePoint | None):
        """The rows `user` may read while at `point` (see points_visible_to)."""
        return self.filter(**{f"{self.point_field}__in": points_visible_to(user, point)})
