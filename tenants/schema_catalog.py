"""A schema's catalog as plain data, to compare two schemas object for object
(tables, columns and types, constraints by name, indexes, sequences)."""
from __future__ import annotations

from django.db import connection

_QUERIES = {
    "tables": """
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm')""",
    "columns": """
        SELECT table_name, column_name,
               -- order among live columns: a migrated table keeps slots of
               -- dropped columns, which no query or migration can see
               rank() OVER (PARTITION BY table_name ORDER BY ordinal_position), data_type, udt_name,
               character_maximum_length, numeric_precision, numeric_scale, is_nullable,
               column_default, is_identity, identity_generation
        FROM information_schema.columns WHERE table_schema = %s""",
    "constraints": """
        SELECT cl.relname, co.conname, co.contype, pg_get_constraintdef(co.oid, true),
               co.condeferrable, co.condeferred
        FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
        JOIN pg_namespace n ON n.oid = co.connamespace WHERE n.nspname = %s""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle
        FROM pg_sequences WHERE schemaname = %s""",
    "identity_owners": """
        SELECT s.relname, t.relname, a.attname FROM pg_depend d
        JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = s.relnamespace
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE n.nspname = %s AND d.deptype IN ('a', 'i')""",
}


def schema_catalog(schema: str) -> dict[str, list[tuple]]:
    """Every object of `schema`, sorted, with the schema's own name replaced by
    `<schema>` so that two schemas can be compared."""
    catalog = {}
    with connection.cursor() as cursor:
        for name, sql in _QUERIES.items():
            cursor.execute(sql, [schema])
            rows = [tuple(str(v).replace(f'"{schema}".', "<schema>.").replace(f"{schema}.", "<schema>.")
                          if isinstance(v, str) else v for v in row) for row in cursor.fetchall()]
            catalog[name] = sorted(rows, key=repr)
    return catalog


def catalog_differences(a: dict, b: dict) -> list[str]:
    problems = []
    for name in _QUERIES:
        only_a = set(a[name]) - set(b[name])
        only_b = set(b[name]) - set(a[name])
        problems += [f"{name}: only in first: {row}" for row in sorted(only_a, key=repr)[:20]]
        problems += [f"{name}: only in second: {row}" for row in sorted(only_b, key=repr)[:20]]
    return problems
