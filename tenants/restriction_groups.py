"""Wagtail's privacy forms (a page's or a collection's "who may see this")
offer every auth group: `BaseViewRestrictionForm.__init__` sets
`Group.objects.all()`. Groups are shared rows named after their point
(`<slug>:<role>`), so a point's admin would see every point's role groups in
the cell and could restrict a page to another county's. Wagtail has no hook
for this form, so tenants narrows the choice once, at start-up, to the role
groups that may act at the current point (its own and those reaching down
from above), found through the scoping layer.
"""
from __future__ import annotations

from django.contrib.auth.models import Group
from wagtail.admin.forms.view_restrictions import BaseViewRestrictionForm

from . import access, scope


def groups_for_current_point():
    point = scope.current_point()
    if point is None:
        return Group.objects.none()
    return Group.objects.filter(point_group__in=access.authority_groups(point)).order_by("name")


def narrow_restriction_groups() -> None:
    if getattr(BaseViewRestrictionForm, "_yimen_narrowed", False):
        return
    stock_init = BaseViewRestrictionForm.__init__

    def __init__(self, *args, **kwargs):
        stock_init(self, *args, **kwargs)
        self.fields["groups"].queryset = groups_for_current_point()

    BaseViewRestrictionForm.__init__ = __init__  # type: ignore[method-assign]  # no hook for this form
    BaseViewRestrictionForm._yimen_narrowed = True  # type: ignore[attr-defined]
