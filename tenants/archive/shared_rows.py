"""The shared (public-schema) rows that belong to one service point.

This list is the one place that says what a point's export carries besides
its own schema, what `delete_point` removes, and what `import_point` puts
back. tenants lists its own rows here; an app above it (which tenants may
not import) declares its rows from its AppConfig.ready():

    shared_rows.register("standards.Adoption", "point")
    shared_rows.register_not_exported("search.IndexChange", "why it is left out")

tests/test_point_archive.py fails, naming the line to add, when a model has a
foreign key to ServicePoint that is neither registered nor not exported.

Order matters: rows are restored top to bottom (a row's natural-key
references must already exist) and deleted bottom to top. Registrations
follow the list in INSTALLED_APPS order (standards before search), and every
row they add names rows of this list, never the reverse.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

from tenants.models import ServicePoint


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
    # Apps above tenants add theirs with register() (standards: adoptions;
    # search: the search log and clicks).
]

# Models with a foreign key to ServicePoint that an export leaves out, and why
# (register_not_exported). A point's parent is a column of its own row
# (restored with it); its children are other points, exported on their own.
NOT_EXPORTED: dict[str, str] = {}


def register(model: str, point_lookup: str, *, keep_pk: bool = True) -> None:
    """An app's shared rows that belong to a point, declared from its AppConfig.ready()."""
    entry = SharedRows(model, point_lookup, keep_pk)
    if entry not in SHARED_ROWS:
        SHARED_ROWS.append(entry)


def register_not_exported(model: str, reason: str) -> None:
    """A model with a foreign key to ServicePoint that an export leaves out, and why."""
    NOT_EXPORTED[model] = reason


def delete_shared_rows(point_pk: int, *, raw: bool) -> None:
    """The point's shared rows, bottom to top. `raw` skips Django's cascade and
    PROTECT checks: used by a replacing import, which puts every row back under
    its id in the same transaction, before PostgreSQL checks the (deferred)
    foreign keys."""
    # Ids first: a row found through another (a group through its PointGroup)
    # is no longer found once that one is gone.
    ids = {entry.model: list(entry.rows(point_pk).values_list("pk", flat=True)) for entry in SHARED_ROWS}
    for entry in reversed(SHARED_ROWS):
        rows = entry.model_class()._default_manager.filter(pk__in=ids[entry.model])
        if raw:
            rows._raw_delete(rows.db)
        else:
            rows.delete()


def undeclared_point_references() -> list[str]:
    """Models with a foreign key to ServicePoint missing from both lists."""
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
