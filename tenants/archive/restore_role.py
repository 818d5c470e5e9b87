"""Run an archive's schema SQL as a database role that can write only that schema.

The signature says who made an archive; this is the last line of defence if
a signed archive still holds a statement that reaches past its point (a
mistake, a stolen key). The SQL runs

- as `yimen_restore` (NOLOGIN, made here if missing), which holds USAGE and
  CREATE on the target schema and nothing else: public's tables and other
  points' schemas are out of its reach (PostgreSQL grants it nothing there);
- inside a SECURITY DEFINER function owned by that role, because a plain
  `SET LOCAL ROLE` can be undone by the SQL itself (`RESET ROLE`: the session
  user is the application's, often a superuser); PostgreSQL refuses to change
  `role` or `session_authorization` within a security-definer function.

Afterwards the restored schema must hold only what migrations make (tables,
sequences, indexes, constraints): a function, trigger, rule or view would
run later with the application's rights, and anything the role made
elsewhere (a temporary table) is refused. Then everything the role owns
passes to the application's user (migrations must be able to alter it) and
its grants are dropped. All in the caller's transaction: an error undoes it.

Needs, from the application's database user: superuser (the embedded
server), or CREATEROLE, or a role made beforehand and granted to it
(docs/operations.md, "Back up and restore a point").
"""
from __future__ import annotations

from django.db import DatabaseError, connection, transaction

ROLE = "yimen_restore"
_RUNNER = "yimen_restore_run"
# Restores in one database take turns: they share the role.
_LOCK = 0x59494D454E5253  # "YIMENRS"

NEEDS = ("导入服务点需要一个只能写该服务点 schema 的数据库角色 yimen_restore：数据库用户须为超级用户、"
         "有 CREATEROLE 权限，或由管理员预先建好该角色并授予本用户（见 docs/operations.md）。")


class RestoreRefused(Exception):
    """The SQL failed under the restricted role, or made something a migration never makes."""


def run_confined(sql: str, schema: str) -> None:
    """Execute `sql` in the existing, empty `schema`, as the restricted role."""
    if not connection.in_atomic_block:  # SET LOCAL outside a transaction would not hold
        raise RuntimeError("run_confined needs the caller's transaction")
    quoted = f'"{schema}"'
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        _ensure_role(cursor)
        cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA {quoted} TO {ROLE}")
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        cursor.execute(
            f"CREATE FUNCTION {quoted}.{_RUNNER}(body text) RETURNS void LANGUAGE plpgsql "
            f"SECURITY DEFINER SET search_path = pg_catalog AS $run$ BEGIN EXECUTE body; END $run$")
        try:
            with transaction.atomic():  # a savepoint, so the error below is reported, not a broken transaction
                cursor.execute(f"SELECT {quoted}.{_RUNNER}(%s)", [sql])
        except DatabaseError as exc:
            raise RestoreRefused(_first_line(exc)) from exc
        cursor.execute(f"DROP FUNCTION {quoted}.{_RUNNER}(text)")
        cursor.execute("RESET ROLE")
        strays = _unexpected_objects(cursor, schema)
        if strays:
            raise RestoreRefused("schema.sql 建立了迁移不会产生的对象：" + "、".join(strays[:5]))
        cursor.execute(f"REASSIGN OWNED BY {ROLE} TO CURRENT_USER")
        cursor.execute(f"DROP OWNED BY {ROLE}")  # its grants on the schema (and any default privileges)


def _ensure_role(cursor) -> None:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    superuser = cursor.fetchone()[0]
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
    if cursor.fetchone() is None:
        try:
            with transaction.atomic():
                cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN NOINHERIT")
        except DatabaseError as exc:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
            if cursor.fetchone() is None:  # not a race with another database of the server: no right
                raise RestoreRefused(f"{NEEDS}（{_first_line(exc)}）") from exc
    if superuser:
        return
    # SET ROLE needs membership with SET; REASSIGN OWNED needs the role's privileges (INHERIT).
    cursor.execute("SELECT current_setting('server_version_num')::int")
    modern = cursor.fetchone()[0] >= 160000
    cursor.execute("SELECT pg_has_role(current_user, %s, 'USAGE')" + (" AND pg_has_role(current_user, %s, 'SET')"
                   if modern else ""), [ROLE, ROLE] if modern else [ROLE])
    if cursor.fetchone()[0]:
        return
    try:
        with transaction.atomic():
            cursor.execute(f"GRANT {ROLE} TO CURRENT_USER" + (" WITH INHERIT TRUE, SET TRUE" if modern else ""))
    except DatabaseError as exc:
        raise RestoreRefused(f"{NEEDS}（{_first_line(exc)}）") from exc


def _unexpected_objects(cursor, schema: str) -> list[str]:
    cursor.execute(
        """
        WITH s AS (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s),
             r AS (SELECT oid FROM pg_roles WHERE rolname = %(role)s)
        SELECT '函数 ' || p.oid::regprocedure::text FROM pg_proc p
         WHERE p.pronamespace = (SELECT oid FROM s) OR p.proowner = (SELECT oid FROM r)
        UNION ALL
        SELECT '触发器 ' || t.tgname || ' ON ' || c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = (SELECT oid FROM s) AND NOT t.tgisinternal
        UNION ALL
        SELECT '规则 ' || w.rulename || ' ON ' || c.relname FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class
         WHERE c.relnamespace = (SELECT oid FROM s) AND w.rulename <> '_RETURN'
        UNION ALL
        SELECT '视图 ' || c.relname FROM pg_class c
         WHERE c.relnamespace = (SELECT oid FROM s) AND c.relkind IN ('v', 'm')
        UNION ALL
        SELECT '授权 ' || c.relname FROM pg_class c
         WHERE c.relnamespace = (SELECT oid FROM s) AND c.relacl IS NOT NULL
        UNION ALL
        SELECT 'schema 外的对象 ' || c.relnamespace::regnamespace::text || '.' || c.relname FROM pg_class c
         WHERE c.relowner = (SELECT oid FROM r) AND c.relnamespace <> (SELECT oid FROM s)
           -- TOAST tables (and their indexes) follow the table they serve, checked itself
           AND c.relnamespace::regnamespace::text NOT LIKE 'pg\\_toast%%'
        UNION ALL
        SELECT 'schema 外的类型 ' || y.typnamespace::regnamespace::text || '.' || y.typname FROM pg_type y
         WHERE y.typowner = (SELECT oid FROM r) AND y.typnamespace <> (SELECT oid FROM s)
        """,
        {"schema": schema, "role": ROLE},
    )
    return [row[0] for row in cursor.fetchall()]


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
