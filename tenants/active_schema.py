"""The schema the database connection works in, typed.

django-tenants' backend (django_tenants.postgresql_backend) adds the schema
and its switches to Django's connection, but Django's type information knows
only the stock connection. The one cast that says so lives here; callers ask
these functions instead of reaching for `connection.schema_name`.
"""
from __future__ import annotations

from typing import Protocol, cast

from django.db import connection


class _TenantConnection(Protocol):
    """What django-tenants' backend adds to the connection (set to the public
    schema when it opens, so `schema_name` is always a name)."""

    schema_name: str

    def set_schema(self, schema_name: str, include_public: bool = True) -> None: ...

    def set_schema_to_public(self) -> None: ...


def _connection() -> _TenantConnection:
    # settings.DATABASES names django-tenants' backend for every connection.
    return cast(_TenantConnection, connection)


def current() -> str:
    """The name of the schema queries run in now."""
    return _connection().schema_name


def switch_to(schema_name: str) -> None:
    """Run the following queries in `schema_name` (with public behind it)."""
    _connection().set_schema(schema_name)


def switch_to_public() -> None:
    """Run the following queries in the public schema."""
    _connection().set_schema_to_public()
