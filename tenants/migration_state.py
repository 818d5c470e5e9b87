"""What migrations exist on disk and which ones each schema has recorded."""
from __future__ import annotations

from functools import lru_cache

from django.db import connection
from django.db.migrations.loader import MigrationLoader

Node = tuple[str, str]


@lru_cache(maxsize=1)
def disk_loader() -> MigrationLoader:
    """The migrations on disk, loaded once a process (they do not change while
    it runs): a deploy asks three times, each load ~0.3 s of a no-op deploy."""
    return MigrationLoader(None, ignore_no_migrations=True)


def migrations_on_disk() -> set[Node]:
    """The migrations a schema must have recorded to be up to date (squashed
    migrations stand in for those they replace)."""
    return set(disk_loader().graph.nodes)


def migration_files_on_disk() -> set[Node]:
    """Every migration file, replaced ones too: a schema may record both a
    squashed migration and the ones it replaced."""
    return set(disk_loader().disk_migrations)


def applied_by_schema(schemas: list[str], chunk: int = 400) -> dict[str, set[Node]]:
    """Every schema's django_migrations, read in one query per `chunk` schemas."""
    applied: dict[str, set[Node]] = {s: set() for s in schemas}
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), chunk):
            part = schemas[start:start + chunk]
            sql = " UNION ALL ".join(
                f'SELECT %s, app, name FROM "{s}".django_migrations' for s in part)
            cursor.execute(sql, part)
            for schema, app, name in cursor.fetchall():
                applied[schema].add((app, name))
    return applied


def schemas_lacking(schemas: list[str], every: set[Node], chunk: int = 500) -> list[str]:
    """The schemas whose django_migrations lack any of `every`. One row per
    schema comes back (how many of `every` it has recorded), not its ~190
    rows: at 1,000 points that read was most of a no-op deploy."""
    ordered = sorted(every)
    apps, names = [app for app, _ in ordered], [name for _, name in ordered]
    lacking = []
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), chunk):
            part = schemas[start:start + chunk]
            counts = " UNION ALL ".join(
                f'SELECT %s, (SELECT count(*) FROM wanted w WHERE EXISTS (SELECT FROM "{s}".django_migrations m '
                f"WHERE m.app = w.app AND m.name = w.name))" for s in part)
            cursor.execute(f"WITH wanted(app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[])) {counts}",
                           [apps, names, *part])
            lacking += [schema for schema, found in cursor.fetchall() if found < len(every)]
    return lacking
