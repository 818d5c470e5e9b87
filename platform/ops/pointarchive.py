"""Export, delete and import one service point, with verification.

An archive (`.tar.gz`) holds everything that is the point's:

  manifest.json  what is inside: the point, the release (the schema's applied
                 migrations), content type ids, row counts per table of the
                 schema and per shared model, sha256 of every member and file
  schema.sql     the point's schema, dumped by pg_dump (structure and rows)
  shared.json    its rows in the public schema (ops.shared_rows.SHARED_ROWS)
                 and the accounts that hold roles there
  media/…        its uploads, MEDIA_ROOT/<schema>/…

The export reads schema and shared rows from one database snapshot (pg_dump
--snapshot), so they agree even while people work. The import runs in one
transaction: shared rows, accounts that are missing, the schema SQL, then a
check that every count matches the manifest; any mismatch or error rolls all
of it back. Files are unpacked beside MEDIA_ROOT/<schema>, checked, and
moved into place only after the commit.

Archives restore into the cell they came from (or one of the same release
whose content type ids agree): a point's tables name shared rows (users,
groups, content types) by id, without constraints (docs/tenancy.md).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.migration_state import applied_by_schema, migration_files_on_disk, migrations_on_disk
from tenants.models import ServicePoint
from tenants.schema_template import pg_dump_binary

from .shared_rows import SHARED_ROWS

FORMAT = 1
USER_FIELDS = ["username", "first_name", "last_name", "email", "password", "is_active", "date_joined"]


class ArchiveError(Exception):
    """A problem an operator must fix; the message says what, in Chinese first."""


@dataclass
class ImportReport:
    schema: str
    tables: int = 0
    rows: int = 0
    shared: dict[str, int] = field(default_factory=dict)
    files: int = 0
    users_created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- helpers -------------------------------------------------------------------

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ArchiveError(f"不合法的名称 {name!r}（invalid identifier）")
    return f'"{name}"'


def media_dir(schema: str) -> Path:
    return Path(settings.MEDIA_ROOT) / schema


def schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        return cursor.fetchone() is not None


def table_counts(schema: str) -> dict[str, int]:
    """Rows in every table of the schema (what the import must find again)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema])
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM {_quote(schema)}."{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def shared_counts(point_pk: int) -> dict[str, int]:
    return {entry.model: entry.rows(point_pk).count() for entry in SHARED_ROWS}


def memberships(point_pk: int) -> list[list[str]]:
    Through = get_user_model().groups.through
    rows = Through.objects.filter(group__point_group__point=point_pk).values_list("user__username", "group__name")
    return sorted([list(r) for r in rows])


def _role_holders(point_pk: int):
    return get_user_model().objects.filter(groups__point_group__point=point_pk).distinct().order_by("pk")


def _content_types() -> dict[str, int]:
    return {f"{ct.app_label}.{ct.model}": ct.pk for ct in ContentType.objects.all()}


def _migrations(schema: str) -> list[list[str]]:
    return sorted([list(node) for node in applied_by_schema([schema]).get(schema, set())])


# --- export --------------------------------------------------------------------

def export_point(slug: str, destination: Path, *, log=print) -> dict:
    """Write the point's archive to `destination`; returns its manifest."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        point = ServicePoint.objects.filter(slug=slug).first()
        if point is None:
            raise ArchiveError(f"服务点“{slug}”不存在（no such point）")
        schema = point.schema_name
        with transaction.atomic():
            with connection.cursor() as cursor:
                # One snapshot for pg_dump and for every row and count read here.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            log(f"[export] {point.name}（{schema}）：导出 schema …")
            schema_sql = _dump_schema(schema, snapshot)
            shared = {
                entry.model: json.loads(serializers.serialize(
                    "json", entry.rows(point.pk), use_natural_foreign_keys=True,
                    use_natural_primary_keys=False))
                for entry in SHARED_ROWS
            }
            users = json.loads(serializers.serialize("json", _role_holders(point.pk), fields=USER_FIELDS))
            manifest = {
                "format": FORMAT,
                "exported_at": timezone.now().isoformat(),
                "point": {"slug": point.slug, "name": point.name, "schema": schema, "pk": point.pk,
                          "parent_slug": point.parent.slug if point.parent else None,
                          "parent_pk": point.parent_id},
                "migrations": _migrations(schema),
                "content_types": _content_types(),
                "tables": table_counts(schema),
                "shared": shared_counts(point.pk),
                "memberships": memberships(point.pk),
            }
    shared_json = json.dumps({"rows": shared, "users": users}, ensure_ascii=False, indent=1).encode()
    schema_bytes = schema_sql.encode()
    files = _media_files(schema)
    manifest["members"] = {"schema.sql": _sha256(schema_bytes), "shared.json": _sha256(shared_json)}
    manifest["media"] = {rel: {"sha256": _file_sha256(path), "size": path.stat().st_size}
                         for rel, path in files.items()}
    log(f"[export] 写入 {destination}：{len(manifest['tables'])} 张表，"
        f"{sum(manifest['tables'].values())} 行，{len(files)} 个文件 …")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        _add_bytes(tar, "schema.sql", schema_bytes)
        _add_bytes(tar, "shared.json", shared_json)
        for rel, path in sorted(files.items()):
            tar.add(str(path), arcname=f"media/{rel}", recursive=False)
    os.replace(partial, destination)  # never a half-written archive under the final name
    verify_archive(destination)
    log(f"[export] 校验通过：{destination}")
    return manifest


def _dump_schema(schema: str, snapshot: str) -> str:
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    result = subprocess.run(
        [pg_dump_binary(), "--schema", schema, "--snapshot", snapshot, "--no-owner", "--no-privileges",
         "--no-comments", "--inserts", "--rows-per-insert=500", "--quote-all-identifiers",
         "-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432),
         "-U", db.get("USER") or "postgres", db["NAME"]],
        capture_output=True, text=True, env=env,
    )
    if result.returncode != 0:
        raise ArchiveError(f"pg_dump 失败（pg_dump failed）：{result.stderr.strip()[-500:]}")
    return result.stdout


def _media_files(schema: str) -> dict[str, Path]:
    root = media_dir(schema)
    if not root.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): path for path in sorted(root.rglob("*")) if path.is_file()}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


# --- reading and verifying an archive ------------------------------------------

@dataclass
class Archive:
    manifest: dict
    schema_sql: str
    shared: dict
    path: Path


def read_archive(path: Path) -> Archive:
    """Open an archive and check every member against the manifest."""
    if not path.is_file():
        raise ArchiveError(f"找不到导出文件 {path}（archive not found）")
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            manifest = json.loads(tar.extractfile(members["manifest.json"]).read())
            if manifest.get("format") != FORMAT:
                raise ArchiveError(f"导出文件格式 {manifest.get('format')} 不受支持（unsupported format）")
            data = {}
            for name, digest in manifest["members"].items():
                data[name] = tar.extractfile(members[name]).read()
                if _sha256(data[name]) != digest:
                    raise ArchiveError(f"导出文件已损坏：{name} 校验和不符（checksum mismatch）")
            for rel, meta in manifest["media"].items():
                member = members.get(f"media/{rel}")
                if member is None:
                    raise ArchiveError(f"导出文件缺少文件 media/{rel}（missing file）")
                if _sha256(tar.extractfile(member).read()) != meta["sha256"]:
                    raise ArchiveError(f"导出文件已损坏：media/{rel} 校验和不符（checksum mismatch）")
    except (tarfile.TarError, KeyError, EOFError, OSError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"导出文件无法读取或不完整：{path}（{type(exc).__name__}: {exc}）") from exc
    return Archive(manifest, data["schema.sql"].decode(), json.loads(data["shared.json"]), path)


def verify_archive(path: Path) -> dict:
    return read_archive(path).manifest


# --- delete --------------------------------------------------------------------

def delete_point(slug: str, *, log=print) -> None:
    """Drop the point's schema, its shared rows and its files.

    Refused while anything else still refers to the point (points below it,
    and any shared row Django protects): those must go first.
    """
    from django.db.models import ProtectedError

    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        point = ServicePoint.objects.filter(slug=slug).first()
        if point is None:
            raise ArchiveError(f"服务点“{slug}”不存在（no such point）")
        schema = point.schema_name
        children = list(point.children.values_list("name", flat=True)[:5])
        if children:
            raise ArchiveError(f"“{point.name}”还有下级服务点（{'、'.join(children)}），不能删除。")
        try:
            with transaction.atomic():
                from search.indexing import lock_point

                lock_point(point.pk)  # no search task writes documents of the point meanwhile
                # Django's cascade from auth groups reaches Wagtail's group
                # permission tables, which exist only in point schemas: run it
                # with the point's schema (then public) on the search path.
                with schema_context(schema):
                    _delete_shared_rows(point.pk, raw=False)
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")
        except ProtectedError as exc:
            names = "、".join(sorted({type(o)._meta.verbose_name for o in exc.protected_objects}))
            raise ArchiveError(f"“{point.name}”仍被其他数据引用（{names}），不能删除。") from exc
    shutil.rmtree(media_dir(schema), ignore_errors=True)
    from search.indexing import forget_point

    forget_point(point)  # its documents in Elasticsearch (PostgreSQL's went with the point's row)
    log(f"[delete] 已删除 {point.name}（{schema}）：schema、共享数据、文件和搜索文档。")


def _delete_shared_rows(point_pk: int, *, raw: bool) -> None:
    """Bottom to top. `raw` skips Django's cascade and PROTECT checks: used by a
    replacing import, which puts every row back under its id in the same
    transaction, before PostgreSQL checks the (deferred) foreign keys."""
    # Ids first: a row found through another (a group through its PointGroup)
    # is no longer found once that one is gone.
    ids = {entry.model: list(entry.rows(point_pk).values_list("pk", flat=True)) for entry in SHARED_ROWS}
    for entry in reversed(SHARED_ROWS):
        rows = entry.model_class()._default_manager.filter(pk__in=ids[entry.model])
        if raw:
            rows._raw_delete(rows.db)
        else:
            rows.delete()


# --- import --------------------------------------------------------------------

def import_point(path: Path, *, replace: bool = False, dry_run: bool = False, log=print) -> ImportReport:
    archive = read_archive(path)
    manifest = archive.manifest
    info = manifest["point"]
    schema = info["schema"]
    _quote(schema)  # a valid identifier, before it goes near SQL
    report = ImportReport(schema=schema)
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        _check_release(manifest, report)
        staging = _stage_media(archive) if not dry_run else None
        try:
            with transaction.atomic():
                # A dry run may clear an existing point: it is all rolled back.
                _clear_the_way(manifest, replace=replace or dry_run, log=log)
                _load_users(archive.shared["users"], report)
                _load_shared_rows(archive.shared["rows"], report)
                log(f"[import] 恢复 schema {schema} …")
                _run_schema_sql(archive.schema_sql, schema)
                _raise_sequences()
                _verify_database(manifest, report)
                if staging is not None:
                    _verify_media_tree(staging, manifest)
                if dry_run:
                    transaction.set_rollback(True)
            if staging is not None:
                _put_media_in_place(staging, schema)
                _verify_media_tree(media_dir(schema), manifest)
        finally:
            if staging is not None and staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    report.files = len(manifest["media"])
    if not dry_run:  # search documents are not archived: they are rebuilt from the restored guides
        from search.reindexing import reindex

        with schema_context(settings.PUBLIC_SCHEMA_NAME):
            reindex(progress=log, points=ServicePoint.objects.filter(schema_name=schema))
    return report


def _check_release(manifest: dict, report: ImportReport) -> None:
    exported = {tuple(m) for m in manifest["migrations"]}
    # Against every migration file: a schema records squashed migrations and the ones they replace.
    unknown = exported - migration_files_on_disk()
    if unknown:
        sample = "、".join(f"{a}.{n}" for a, n in sorted(unknown)[:3])
        raise ArchiveError(f"导出文件来自更新的版本，本版本没有这些迁移：{sample}。请先升级本环境。"
                           "（archive is from a newer release）")
    if migrations_on_disk() - exported:
        report.notes.append("导出文件来自较早的版本：导入后请运行 manage.py deploy_points 补齐迁移。")
    ours = _content_types()
    differ = [name for name, pk in manifest["content_types"].items() if name in ours and ours[name] != pk]
    if differ:
        raise ArchiveError("本环境的内容类型编号与导出时不同（" + "、".join(differ[:3]) + " …），"
                           "此导出文件只能导入到原环境或同版本的同源环境。（content type ids differ）")


def _clear_the_way(manifest: dict, *, replace: bool, log) -> None:
    info = manifest["point"]
    existing = ServicePoint.objects.filter(slug=info["slug"]).first()
    if existing is not None and existing.pk != info["pk"]:
        raise ArchiveError(f"标识“{info['slug']}”已被另一个服务点使用（不同编号），不能导入。")
    if existing is not None or schema_exists(info["schema"]):
        if not replace:
            raise ArchiveError(f"服务点“{info['name']}”（{info['schema']}）已存在。"
                               "要用导出文件覆盖它，请加 --replace。")
        log(f"[import] 覆盖现有的 {info['schema']} …")
        if existing is not None:
            _delete_shared_rows(existing.pk, raw=True)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(info['schema'])} CASCADE")
    if info["parent_pk"] is not None:
        parent = ServicePoint.objects.filter(pk=info["parent_pk"]).first()
        if parent is None or parent.slug != info["parent_slug"]:
            raise ArchiveError(f"上级服务点“{info['parent_slug']}”不在本环境中（或编号不同），请先导入上级。")


def _load_users(users: list[dict], report: ImportReport) -> None:
    User = get_user_model()
    for item in users:
        fields = item["fields"]
        if User.objects.filter(username=fields["username"]).exists():
            continue  # a network-wide account: never overwritten by one point's archive
        user = User(**{name: fields[name] for name in USER_FIELDS if name in fields})
        if not User.objects.filter(pk=item["pk"]).exists():
            user.pk = item["pk"]  # same id: the point's pages name their owners by id
        else:
            report.notes.append(f"账号 {fields['username']} 的原编号已被占用，已用新编号重建；"
                                "其页面作者等信息可能显示为其他账号。")
        user.save()
        report.users_created.append(fields["username"])


def _load_shared_rows(rows_by_model: dict[str, list], report: ImportReport) -> None:
    for entry in SHARED_ROWS:
        rows = rows_by_model.get(entry.model, [])
        model = entry.model_class()
        if entry.keep_pk:
            taken = model._default_manager.filter(pk__in=[r["pk"] for r in rows]).values_list("pk", flat=True)
            if taken:
                raise ArchiveError(f"{model._meta.verbose_name} 编号 {list(taken)[:5]} 已被占用，不能原样恢复。"
                                   f"（{entry.model} pk taken）")
        objects = serializers.deserialize(
            "json", json.dumps([r if entry.keep_pk else {**r, "pk": None} for r in rows]),
            handle_forward_references=False)
        for obj in objects:
            obj.save()
        report.shared[entry.model] = len(rows)


def _run_schema_sql(sql: str, schema: str) -> None:
    # pg_dump's preamble sets session options (search_path '' among them) and
    # PostgreSQL 18's psql-only \restrict lines: none belongs on Django's
    # connection. Only the preamble is filtered, never row data further down.
    lines = sql.splitlines(keepends=True)
    body_start = next((i for i, line in enumerate(lines) if line.startswith("CREATE SCHEMA")), None)
    if body_start is None:
        raise ArchiveError("schema.sql 中没有 CREATE SCHEMA（not a schema dump）")
    body = "".join(line for line in lines[body_start:] if not line.startswith(("\\restrict", "\\unrestrict")))
    if f"CREATE SCHEMA {_quote(schema)};" not in body:
        raise ArchiveError(f"schema.sql 不是 {schema} 的导出（dump of another schema）")
    with connection.cursor() as cursor:
        cursor.execute(body)
    connection.set_schema_to_public()


def _raise_sequences() -> None:
    """Shared tables' id sequences must be past the ids restored into them
    (an import into a cell that never had them); never moved back, so an id
    once used is not handed out again."""
    with connection.cursor() as cursor:
        for entry in SHARED_ROWS:
            table = entry.model_class()._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 1) FROM "{table}"), '
                               f"(SELECT last_value FROM {sequence})))", [sequence])


def _verify_database(manifest: dict, report: ImportReport) -> None:
    info = manifest["point"]
    found = table_counts(info["schema"])
    if found != manifest["tables"]:
        differ = sorted(t for t in set(found) | set(manifest["tables"])
                        if found.get(t) != manifest["tables"].get(t))
        raise ArchiveError(f"校验失败：表 {'、'.join(differ[:5])} 的行数与导出时不同（row counts differ）")
    shared = shared_counts(info["pk"])
    if shared != manifest["shared"]:
        raise ArchiveError(f"校验失败：共享数据数目不符（shared rows differ: {shared} != {manifest['shared']}）")
    if memberships(info["pk"]) != manifest["memberships"]:
        raise ArchiveError("校验失败：岗位成员与导出时不同（role memberships differ）")
    report.tables, report.rows, report.shared = len(found), sum(found.values()), shared


def _stage_media(archive: Archive) -> Path:
    """Unpack the files next to their final folder (same filesystem: the move is a rename)."""
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".import-{archive.manifest['point']['schema']}-", dir=root))
    with tarfile.open(archive.path, "r:gz") as tar:
        for rel in archive.manifest["media"]:
            target = (staging / rel).resolve()
            if not target.is_relative_to(staging.resolve()):
                raise ArchiveError(f"导出文件中的文件路径不合法：{rel}（unsafe path）")
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(f"media/{rel}") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
    return staging


def _verify_media_tree(root: Path, manifest: dict) -> None:
    found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    if set(found) != set(manifest["media"]):
        raise ArchiveError(f"校验失败：{root} 中的文件与导出时不同（files differ）")
    for rel, meta in manifest["media"].items():
        if _file_sha256(found[rel]) != meta["sha256"]:
            raise ArchiveError(f"校验失败：文件 {rel} 内容不同（checksum mismatch）")


def _put_media_in_place(staging: Path, schema: str) -> None:
    final = media_dir(schema)
    old = final.with_name(f".replaced-{schema}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
