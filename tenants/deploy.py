"""Bring every point's schema up to date quickly (the deploy path).

Stock `migrate_schemas` loads the migration graph and checks every schema in
turn (about 0.2 s per point even with nothing to do). Here:

1. one query asks every schema how many of the migrations on disk it has
   recorded (a row per schema); points with nothing pending are skipped, the
   others' django_migrations are read;
2. points that lack the same migrations form a group; when those migrations
   are plain SQL (no RunPython), their SQL is generated once, exactly as
   `migrate` would run it, and replayed in each point's schema in one
   transaction per point, with the django_migrations rows;
3. anything else runs through django-tenants' own migrate, in parallel
   processes.
"""
from __future__ import annotations

import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction

from . import active_schema
from .migration_sql import pending_sql
from .migration_state import Node, applied_by_schema, migrations_on_disk, schemas_lacking
from .models import ServicePoint


@dataclass
class DeployReport:
    points: int = 0
    up_to_date: int = 0
    replayed: int = 0
    migrated: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def pending_by_schema(schemas: list[str]) -> dict[str, frozenset[Node]]:
    """For each schema with something to do, the migrations it lacks."""
    every = migrations_on_disk()
    return {schema: frozenset(every - done)
            for schema, done in applied_by_schema(schemas_lacking(schemas, every)).items() if every - done}


def public_pending() -> frozenset[Node]:
    """The migrations the public schema lacks (all of them on a new database).

    Public records every app's migrations, the tenant apps' too (migrate
    records them there without running them), so with nothing missing here
    stock `migrate_schemas --shared` would only load the graph and re-check
    permissions and content types, about two seconds of a no-op deploy."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL")
        exists = cursor.fetchone()[0]
    every = migrations_on_disk()
    return frozenset(every - applied_by_schema(["public"])["public"]) if exists else frozenset(every)


def _replay(schema: str, statements: list[str]) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL search_path = "{schema}", public')
            cursor.execute("\n".join(statements))
    active_schema.switch_to_public()


def _migrate_one(schema: str) -> tuple[str, str | None]:
    try:
        call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=0)
        return schema, None
    except Exception as exc:  # reported per point; the others go on
        return schema, f"{type(exc).__name__}: {exc}"


def _migrate_in_processes(schemas: list[str], processes: int) -> list[tuple[str, str | None]]:
    if processes <= 1 or len(schemas) <= 1:
        return [_migrate_one(s) for s in schemas]
    connections.close_all()  # children must open their own connections
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return list(pool.imap_unordered(_migrate_one, schemas))


def deploy_points(*, processes: int | None = None, schemas: Iterable[str] | None = None,
                  progress: Callable[[str], None] = lambda line: None) -> DeployReport:
    """Migrate every point (or `schemas`) that has something pending."""
    workers = processes or settings.TENANT_MULTIPROCESSING_MAX_PROCESSES
    names = list(schemas) if schemas is not None else list(
        ServicePoint.objects.real().values_list("schema_name", flat=True))
    report = DeployReport(points=len(names))
    pending = pending_by_schema(names)
    report.up_to_date = len(names) - len(pending)
    progress(f"{len(names)} 个服务点，{report.up_to_date} 个无待执行迁移，跳过。")

    groups: dict[frozenset[Node], list[str]] = defaultdict(list)
    for schema, missing in pending.items():
        groups[missing].append(schema)
    fallback: list[str] = []
    for members in groups.values():
        statements = pending_sql(members[0])
        if statements is None:
            fallback.extend(members)
            continue
        for index, schema in enumerate(members, 1):
            try:
                _replay(schema, statements)
                report.replayed += 1
            except Exception as exc:
                report.failed[schema] = f"{type(exc).__name__}: {exc}"
            if index % 50 == 0 or index == len(members):
                progress(f"按 SQL 重放迁移：{index}/{len(members)}")
    if fallback:
        progress(f"{len(fallback)} 个服务点含 Python 迁移，{workers} 个进程并行执行 …")
        for schema, error in _migrate_in_processes(fallback, workers):
            if error:
                report.failed[schema] = error
            else:
                report.migrated += 1
    return report
