"""The shared (public-schema) rows that belong to one service point.

This list is the one place that says what a point's export carries besides
its own schema, what `delete_point` removes, and what `import_point` puts
back. A new shared table whose rows belong to a point gets one line here,
e.g. for the standards app's adoptions:

    SharedRows("standards.Adoption", "point"),

tests/test_point_archive.py fails, naming the line to add, when a model has a
foreign key to ServicePoint that is neither listed here nor in NOT_EXPORTED.

Order matters: rows are restored top to bottom (a row's natural-key
references must already exist) and deleted bottom to top.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class SharedRows:
    model: str  # "app_label.ModelName"
    point_lookup: str  # ORM lookup from the model to the point's primary key
    # Keep primary keys: a point's schema names these rows by id without a
    # constraint (Wagtail's group permissions name auth groups by id), so they
    # must come back under the same ids.
    keep_pk: bool = True

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def rows(self, point_pk: int) -> models.QuerySet:
        return self.model_class()._default_manager.filter(**{self.point_lookup: point_pk}).order_by("pk")


SHARED_ROWS: list[SharedRows] = [
    SharedRows("tenants.ServicePoint", "pk"),
    SharedRows("tenants.Domain", "tenant"),
    # Role groups: the auth group (with its permissions) and its PointGroup row.
    SharedRows("auth.Group", "point_group__point"),
    SharedRows("tenants.PointGroup", "point"),
    # Who holds which role here: memberships of the point's groups. Users are
    # network-wide accounts, carried separately and only created if missing.
    SharedRows("accounts.User_groups", "group__point_group__point", keep_pk=False),
    # Which standard items the point offers, at which version (mirror of its live guides).
    SharedRows("standards.Adoption", "point"),
    # What citizens searched for and clicked at the point (its search statistics).
    SharedRows("search.SearchLog", "point"),
    SharedRows("search.SearchClick", "point"),
]

# Models with a foreign key to ServicePoint that an export leaves out, and why.
NOT_EXPORTED: dict[str, str] = {
    # parent is a column of the point's own row (restored with it); children
    # are other points, exported on their own.
    "standards.PropagationTarget": "the county's record of a past publication, not the point's data: a "
                                   "restored point's guides keep the versions they are pinned to, and a "
                                   "later publication reaches it through its adoptions",
    "search.SearchDocument": "derived from the point's live guides; import_point rebuilds them",
    "search.IndexChange": "the search outbox: transient, and the rebuilt documents make it moot",
}


def register(model: str, point_lookup: str, *, keep_pk: bool = True) -> None:
    """For an app that prefers to declare its rows from its AppConfig.ready()."""
    entry = SharedRows(model, point_lookup, keep_pk)
    if entry not in SHARED_ROWS:
        SHARED_ROWS.append(entry)


def undeclared_point_references() -> list[str]:
    """Models with a foreign key to ServicePoint missing from both lists."""
    from tenants.models import ServicePoint

    declared = {entry.model.lower() for entry in SHARED_ROWS} | {m.lower() for m in NOT_EXPORTED}
    missing = []
    for model in apps.get_models(include_auto_created=True):
        if model is ServicePoint:
            continue
        for field in model._meta.get_fields():
            if field.many_to_one and field.concrete and field.related_model is ServicePoint:
                label = f"{model._meta.app_label}.{model.__name__}"
                if label.lower() not in declared:
                    missing.append(f'SharedRows("{label}", "{field.name}")')
    return sorted(set(missing))
