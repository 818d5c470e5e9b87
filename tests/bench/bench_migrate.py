"""Migrating from nothing: Django's stock migrate command against Yimen's
(tenants/schema_migrate.py, which passes over the migrations of apps a schema
does not hold), in the same run, each in a database of its own: the public
schema (`migrate_schemas --shared`) and then a point's schema (`migrate_schemas
--schema … --tenant`, as the onboarding template is built). Also checks that
both made the same tables and recorded the same migrations.

    python3 infra/yimen.py bench bench_migrate

BENCH_MIGRATE_ROUNDS (default 2) rounds, the two commands alternated within
each; a fresh process and database for every measurement.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from tests.bench.common import ROOT, machine, setup_django

ROUNDS = int(os.environ.get("BENCH_MIGRATE_ROUNDS", "2"))
COMMANDS = {"stock": "django.core.management.commands.migrate.Command",
            "yimen": "tenants.schema_migrate.Command"}
SCHEMA = "bench_point"

# Run in a fresh process against DATABASE_URL: times both migrations, then reads what they made.
CHILD = f"""
import json, os, sys, time
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "platform")!r}]
os.environ["DJANGO_SETTINGS_MODULE"] = "yimen.settings.bench"
import django
django.setup()
from django.conf import settings
settings.TENANT_BASE_MIGRATE_COMMAND = os.environ["BENCH_MIGRATE_COMMAND"]
from django.core.management import call_command
from django.db import connection
started = time.perf_counter()
call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
public = time.perf_counter() - started
with connection.cursor() as cursor:
    cursor.execute('CREATE SCHEMA "{SCHEMA}"')
started = time.perf_counter()
call_command("migrate_schemas", schema_name="{SCHEMA}", tenant=True, interactive=False, verbosity=0)
point = time.perf_counter() - started
made = {{}}
with connection.cursor() as cursor:
    for schema in ("public", "{SCHEMA}"):
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", [schema])
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT app, name FROM "{{schema}}".django_migrations ORDER BY 1, 2')
        made[schema] = {{"tables": tables, "migrations": [list(row) for row in cursor.fetchall()]}}
    cursor.execute("SELECT count(*) FROM django_content_type")
    made["content_types"] = cursor.fetchone()[0]
    cursor.execute("SELECT count(*) FROM auth_permission")
    made["permissions"] = cursor.fetchone()[0]
print(json.dumps({{"public": public, "point": point, "made": made}}))
"""


def _database(name: str) -> str:
    """A new empty database beside the bench's; its URL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    base = os.environ["DATABASE_URL"]
    return base.rsplit("/", 1)[0] + "/" + name


def _drop(name: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def measure(label: str) -> dict:
    name = f"yimen_bench_migrate_{label}"
    url = _database(name)
    try:
        done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, check=True, capture_output=True, text=True,
                              env={**os.environ, "DATABASE_URL": url, "BENCH_MIGRATE_COMMAND": COMMANDS[label]})
    finally:
        _drop(name)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    setup_django()
    from django.db import connection

    connection.ensure_connection()
    connection.connection.autocommit = True  # CREATE DATABASE runs outside a transaction
    print(f"machine: {machine()}")
    runs: dict[str, list[dict]] = {"stock": [], "yimen": []}
    for n in range(ROUNDS):
        for label in (("stock", "yimen") if n % 2 == 0 else ("yimen", "stock")):
            runs[label].append(measure(label))
            last = runs[label][-1]
            print(f"  round {n + 1}, {label}: public {last['public']:.2f} s, point schema {last['point']:.2f} s",
                  flush=True)
    same = all(run["made"] == runs["stock"][0]["made"] for run in runs["stock"] + runs["yimen"])
    made = runs["stock"][0]["made"]
    print(f"\nsame tables, migration records, content types and permissions: {'yes' if same else 'NO'} "
          f"(public: {len(made['public']['tables'])} tables, {len(made['public']['migrations'])} migrations; "
          f"point: {len(made[SCHEMA]['tables'])} tables)")
    print("\n| migrate from nothing | stock (median) | Yimen (median) | ratio |\n|---|---|---|---|")
    for part, title in (("public", "public schema"), ("point", "a point's schema")):
        stock = statistics.median(run[part] for run in runs["stock"])
        ours = statistics.median(run[part] for run in runs["yimen"])
        print(f"| {title} | {stock:.2f} s | {ours:.2f} s | {stock / ours:.1f}× |")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
