"""Search's statements on PostgreSQL, planned once per connection and run
without django-tenants' `SET search_path` round trip.

Planned once: a statement's text depends only on its shape (how many asks,
which filters, facets or not; the query's terms and weights are array
parameters), so it is PREPAREd once per connection under a name made from
its text and EXECUTEd after that. Planning was 0.5–0.7 ms of a 1.5 ms point
search at 1,000 points (search/README.md, "Speed"). PREPARE is sent in the
same message as the first EXECUTE, so the first search of a shape costs no
extra round trip. psycopg2 has no automatic prepare, so each Django
connection remembers which names it prepared; Django's `connection_created`
signal (a new connection after CONN_MAX_AGE, a dropped one) starts it
afresh. PREPARE outlives a failed or rolled-back transaction, so after an
error the names are read again from `pg_prepared_statements`.

No `SET search_path`: django-tenants sends it before the first statement of
every request, because its middleware sets the request's tenant. These
statements read only public's tables and name them with their schema, so
they go through Django's plain cursor (django-tenants' `_cursor` hook is
skipped for them alone); the connection's tenant flag is left as it is, so
the next ORM statement of the request still sets the point's schema first.
The message pins `search_path` to public with SET LOCAL when it is its own
implicit transaction: PostgreSQL replans a prepared statement whenever the
search path differs from the one it was planned under, and the previous
request may have left another point's. Inside a transaction (atomic blocks,
tests) SET LOCAL would outlast the statement and change what the ORM reads
next, so it is left out there: the statement still reads public's tables,
only its plan may be made again.
"""
from __future__ import annotations

import hashlib
import weakref

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.signals import connection_created
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantWrapper

PREFIX = "search_"  # prepared statements' names; pg_prepared_statements is read for these alone


def public(table: str) -> str:
    """A public table's name with its schema: the statements do not depend on the search path."""
    return f"{settings.PUBLIC_SCHEMA_NAME}.{table}"


class Params:
    """A statement's parameters in order: each call adds one and returns its placeholder ($n)."""

    def __init__(self) -> None:
        self.types: list[str] = []
        self.values: list = []

    def __call__(self, value, sql_type: str) -> str:
        self.values.append(value)
        self.types.append(sql_type)
        return f"${len(self.values)}"


# Django connection (one per thread) → the names prepared on its current database session.
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _forget(sender, connection, **_kwargs) -> None:
    _prepared[connection] = set()  # a new database session: nothing prepared on it yet


connection_created.connect(_forget, dispatch_uid="search-prepared-statements")


def _cursor(wrapper):
    if isinstance(wrapper, TenantWrapper):
        # Django's own _cursor (connecting if need be, its debug wrapper) without django-tenants'
        # override, which would send SET search_path first (see the module's docstring).
        return super(TenantWrapper, wrapper)._cursor()
    return wrapper.cursor()


def execute(kind: str, sql: str, params: Params, setup: str = "") -> list[tuple]:
    """Run `sql` (placeholders $1…$n from `params`) as this connection's prepared statement of
    that text, named search_<kind>_<hash of the text>, after `setup` (SET LOCAL statements,
    ending in ';') in the same message; its rows."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    name = f"{PREFIX}{kind}_{hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()}"
    with _cursor(wrapper) as cursor:
        for attempt in (1, 2):
            known = _prepared.get(wrapper)
            if known is None:  # after an error, or a session opened before this module: not known
                cursor.execute("SELECT name FROM pg_prepared_statements WHERE starts_with(name, %s)", [PREFIX])
                known = _prepared[wrapper] = {row[0] for row in cursor.fetchall()}
            message = [] if wrapper.in_atomic_block else [f"SET LOCAL search_path = {settings.PUBLIC_SCHEMA_NAME};"]
            message.append(setup)
            if name not in known:
                # The text goes into a string with psycopg2's %s placeholders: a literal % is doubled.
                message.append(f"PREPARE {name} ({', '.join(params.types)}) AS {sql.replace('%', '%%')};")
            message.append(f"EXECUTE {name} ({', '.join(['%s'] * len(params.values))})")
            try:
                cursor.execute("\n".join(message), params.values)
            except DatabaseError:
                _prepared.pop(wrapper, None)
                # Once more after reading what exists (statements dropped behind Django's back by
                # DISCARD ALL or a pooler), unless a transaction is now aborted.
                if attempt == 2 or wrapper.in_atomic_block:
                    raise
                continue
            known.add(name)
            return cursor.fetchall()
    raise AssertionError("unreachable")
