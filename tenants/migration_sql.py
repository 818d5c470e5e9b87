"""The SQL that a schema's pending migrations run, generated once (as
`sqlmigrate` does) so that it can be replayed in many schemas: the points
behind in a deploy (tenants.deploy) and the onboarding template
(tenants.schema_template)."""
from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunSQL, SeparateDatabaseAndState
from django.utils import timezone

from . import active_schema


def _schema_change_only(operation) -> bool:
    """An operation that changes tables, columns, constraints or indexes and
    nothing else: no RunPython, and no RunSQL either (hand-written SQL may
    write rows)."""
    if isinstance(operation, SeparateDatabaseAndState):
        return all(_schema_change_only(op) for op in operation.database_operations)
    return operation.reduces_to_sql and not isinstance(operation, RunSQL)


def pending_sql(schema: str, *, schema_changes_only: bool = False) -> list[str] | None:
    """The statements `migrate` would run in `schema` (unqualified names: run
    them with the schema first on the search_path), then the rows it would add
    to django_migrations; [] when nothing is pending. None if a pending step is
    Python (or, with `schema_changes_only`, anything but a schema change), or
    the plan goes backwards."""
    active_schema.switch_to(schema)
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if any(backwards for _, backwards in plan):
            return None
        allowed = _schema_change_only if schema_changes_only else (lambda op: op.reduces_to_sql)
        if not all(allowed(op) for migration, _ in plan for op in migration.operations):
            return None
        statements = []
        for migration, _ in plan:  # as `sqlmigrate` does, against the state before each one
            state = executor.loader.project_state((migration.app_label, migration.name), at_end=False)
            with connection.schema_editor(collect_sql=True, atomic=migration.atomic) as editor:
                migration.apply(state, editor, collect_sql=True)
            statements.extend(editor.collected_sql)
    finally:
        active_schema.switch_to_public()
    now = timezone.now().isoformat()
    recorded = [
        f"INSERT INTO django_migrations (app, name, applied) VALUES "
        f"({literal(m.app_label)}, {literal(m.name)}, {literal(now)});"
        for m, _ in plan
    ]
    return [_ended(s) for s in statements if s.strip() and not s.lstrip().startswith("--")] + recorded


def literal(value: str) -> str:
    """A string as an SQL literal (for statements run without parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _ended(statement: str) -> str:
    statement = statement.strip()
    return statement if statement.endswith(";") else statement + ";"
