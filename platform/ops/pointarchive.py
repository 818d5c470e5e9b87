"""Export, delete and import one service point, with verification.

An archive (`.tar.gz`) holds everything that is the point's:

  manifest.json  what is inside: the point, the release (the schema's applied
                 migrations), content type ids, row counts per table of the
                 schema and per shared model, sha256 of every member and file
  manifest.sig   HMAC-SHA256 of manifest.json with the cell's archive key
                 (ops.archive_signing): the signature covers every member
  schema.sql     the point's schema, dumped by pg_dump (structure and rows)
  shared.json    its rows in the public schema (ops.shared_rows.SHARED_ROWS)
                 and the accounts that hold roles there
  media/…        its uploads, MEDIA_ROOT/<schema>/…

The export reads schema and shared rows from one database snapshot (pg_dump
--snapshot), so they agree even while people work. The import trusts nothing
it has not checked: first the signature and every checksum, then that the
schema is the named point's and every shared row belongs to that point
(ops.archive_checks); only then, in one transaction: shared rows, accounts
that are missing, the schema SQL (run as a role that can write only that
schema, ops.restore_role), then a check that every count matches the
manifest; any mismatch or error rolls all of it back. Files are unpacked
beside MEDIA_ROOT/<schema>, checked, and moved into place only after the
commit. A dry run restores the schema SQL into a scratch schema under the
same role and rolls it back: nothing of the point is touched.

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
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from search.indexing import forget_point, lock_point
from search.reindexing import reindex
from tenants.migration_state import applied_by_schema, migration_files_on_disk, migrations_on_disk
from tenants.models import ServicePoint
from tenants.schema_template import pg_dump_binary

from . import archive_signing
from .archive_checks import check_schema_of_point, check_shared_rows, loaded_rows_foreign
from .archive_errors import ArchiveError
from .restore_role import RestoreRefused, run_confined
from .shared_rows import SHARED_ROWS

__all__ = ["ArchiveError", "delete_point", "export_point", "import_point", "verify_archive"]

FORMAT = 2  # 2: signed (manifest.sig); unsigned archives of format 1 are refused
USER_FIELDS = ["username", "first_name", "last_name", "email", "password", "is_active", "date_joined"]


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
    if archive_signing.uses_derived_key():
        log("[export] 注意：未设置 YIMEN_ARCHIVE_KEY，用由 SECRET_KEY 派生的密钥签名；"
            "SECRET_KEY 更换且移出 SECRET_KEY_FALLBACKS 后，此文件将无法导入。生产环境请设置 YIMEN_ARCHIVE_KEY。")
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        _add_bytes(tar, "manifest.json", manifest_bytes)
        _add_bytes(tar, archive_signing.SIGNATURE_MEMBER, archive_signing.sign(manifest_bytes))
        _add_bytes(tar, "schema.sql", schema_bytes)
        _add_bytes(tar, "shared.json", shared_json)
        for rel, path in sorted(files.items()):
            tar.add(str(path), arcname=f"media/{rel}", recursive=False)
    os.replace(partial, destination)  # never a half-written archive under the final name
    verify_archive(destination)
    log(f"[export] 校验通过（已签名）：{destination}")
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
    """Open an archive, check its signature, then every member against the manifest.

    Nothing of the archive is used before this returns: an unsigned archive,
    one signed with another key, or one with any byte changed is refused here.
    """
    if not path.is_file():
        raise ArchiveError(f"找不到导出文件 {path}（archive not found）")
    try:
        with tarfile.open(path, "r:gz") as tar:
            listed = tar.getmembers()
            members = {m.name: m for m in listed}
            if len(members) != len(listed) or not all(m.isfile() for m in listed):
                raise ArchiveError("导出文件中有重名或非普通文件的成员，已拒绝。（duplicate or special members）")
            if archive_signing.SIGNATURE_MEMBER not in members:
                raise ArchiveError("导出文件没有签名，已拒绝，未做任何改动：只接受由 export_point 生成并签名的"
                                   "导出文件（较早版本的导出文件请在原环境升级后重新导出）。（unsigned archive）")
            manifest_bytes = tar.extractfile(members["manifest.json"]).read()
            signature = tar.extractfile(members[archive_signing.SIGNATURE_MEMBER]).read()
            if not archive_signing.is_valid(manifest_bytes, signature):
                raise ArchiveError("导出文件签名无效，已拒绝，未做任何改动：文件在导出后被改动过，或由另一密钥签名"
                                   "（不是 YIMEN_ARCHIVE_KEY，也不在 YIMEN_ARCHIVE_KEY_FALLBACKS 中）。"
                                   "（bad signature）")
            manifest = json.loads(manifest_bytes)
            if manifest.get("format") != FORMAT:
                raise ArchiveError(f"导出文件格式 {manifest.get('format')} 不受支持（unsupported format）")
            expected = {"manifest.json", archive_signing.SIGNATURE_MEMBER, *manifest["members"],
                        *(f"media/{rel}" for rel in manifest["media"])}
            if set(members) - expected:
                extra = "、".join(sorted(set(members) - expected)[:3])
                raise ArchiveError(f"导出文件中有清单之外的成员（{extra}），已拒绝。（unlisted members）")
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
    # Signature and checksums first: nothing of the archive is used before they pass.
    archive = read_archive(path)
    manifest = archive.manifest
    info = manifest["point"]
    schema = info["schema"]
    _quote(schema)  # a valid identifier, before it goes near SQL
    report = ImportReport(schema=schema)
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        # Then what it may restore, still before anything is written.
        check_schema_of_point(manifest)
        check_shared_rows(manifest, archive.shared)
        _check_release(manifest, report)
        existing = _check_the_way(manifest, replace=replace or dry_run)
        if dry_run:
            _rehearse(archive, report, log=log)
            return report
        staging = _stage_media(archive)
        try:
            with transaction.atomic():
                _clear_the_way(existing, schema, log=log)
                _load_users(archive.shared["users"], report)
                loaded = _load_shared_rows(archive.shared["rows"], report)
                foreign = loaded_rows_foreign(info["pk"], loaded)
                if foreign:
                    raise ArchiveError(f"导出文件中有不属于服务点“{info['slug']}”的共享数据（"
                                       + "；".join(foreign) + "），已全部回滚。")
                log(f"[import] 恢复 schema {schema}（以只能写该 schema 的数据库角色执行）…")
                _run_schema_sql(archive.schema_sql, schema)
                _raise_sequences()
                _verify_database(manifest, report)
                _verify_media_tree(staging, manifest)
            _put_media_in_place(staging, schema)
            _verify_media_tree(media_dir(schema), manifest)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    report.files = len(manifest["media"])
    # Search documents are not archived: they are rebuilt from the restored guides.
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        reindex(progress=log, points=ServicePoint.objects.filter(schema_name=schema))
    return report


def _rehearse(archive: Archive, report: ImportReport, *, log) -> None:
    """A dry run: the schema SQL, under the restricted role, into a scratch
    schema, counted and rolled back. The point, its schema, its shared rows
    and its files are not touched; the shared rows were checked above."""
    manifest = archive.manifest
    scratch = f"yimen_dryrun_{uuid.uuid4().hex[:12]}"
    log(f"[import] 演练：在临时 schema {scratch} 中恢复并校验，然后回滚 …")
    with transaction.atomic():
        _run_schema_sql(archive.schema_sql, manifest["point"]["schema"], into=scratch)
        found = table_counts(scratch)
        transaction.set_rollback(True)
    _compare_tables(found, manifest["tables"])
    report.tables, report.rows = len(found), sum(found.values())
    report.shared = dict(manifest["shared"])
    report.files = len(manifest["media"])


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


def _check_the_way(manifest: dict, *, replace: bool) -> ServicePoint | None:
    """Refusals that need no change: returns the point to be replaced, if any."""
    info = manifest["point"]
    existing = ServicePoint.objects.filter(slug=info["slug"]).first()
    if existing is not None and existing.pk != info["pk"]:
        raise ArchiveError(f"标识“{info['slug']}”已被另一个服务点使用（不同编号），不能导入。")
    if (existing is not None or schema_exists(info["schema"])) and not replace:
        raise ArchiveError(f"服务点“{info['name']}”（{info['schema']}）已存在。"
                           "要用导出文件覆盖它，请加 --replace。")
    if info["parent_pk"] is not None:
        parent = ServicePoint.objects.filter(pk=info["parent_pk"]).first()
        if parent is None or parent.slug != info["parent_slug"]:
            raise ArchiveError(f"上级服务点“{info['parent_slug']}”不在本环境中（或编号不同），请先导入上级。")
    return existing


def _clear_the_way(existing: ServicePoint | None, schema: str, *, log) -> None:
    """Remove the point being replaced (its schema was checked to be its own)."""
    if existing is None and not schema_exists(schema):
        return
    log(f"[import] 覆盖现有的 {schema} …")
    if existing is not None:
        _delete_shared_rows(existing.pk, raw=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")


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


def _load_shared_rows(rows_by_model: dict[str, list], report: ImportReport) -> dict[str, list]:
    """Restore the rows; returns the ids written per model (checked against the point next)."""
    loaded: dict[str, list] = {}
    for entry in SHARED_ROWS:
        rows = rows_by_model.get(entry.model, [])
        model = entry.model_class()
        if entry.keep_pk:
            taken = model._default_manager.filter(pk__in=[r["pk"] for r in rows]).values_list("pk", flat=True)
            if taken:
                raise ArchiveError(f"{model._meta.verbose_name} 编号 {list(taken)[:5]} 已被占用，不能原样恢复。"
                                   f"（{entry.model} pk taken）")
        try:
            objects = serializers.deserialize(
                "json", json.dumps([r if entry.keep_pk else {**r, "pk": None} for r in rows]),
                handle_forward_references=False)
            loaded[entry.model] = []
            for obj in objects:
                obj.save()
                loaded[entry.model].append(obj.object.pk)
        except (DeserializationError, IntegrityError) as exc:
            raise ArchiveError(f"共享数据 {entry.model} 无法恢复（与本环境已有的数据冲突，或引用了不存在的数据）："
                               f"{str(exc).strip().splitlines()[0]}") from exc
        report.shared[entry.model] = len(rows)
    return loaded


def _run_schema_sql(sql: str, schema: str, *, into: str | None = None) -> None:
    """Create the schema (or the scratch schema `into`) and run the dump's SQL
    in it as the restricted role (ops.restore_role)."""
    # pg_dump's preamble sets session options (search_path '' among them) and
    # PostgreSQL 18's psql-only \restrict lines: none belongs on Django's
    # connection. Only the preamble is filtered, never row data further down.
    lines = sql.splitlines(keepends=True)
    body_start = next((i for i, line in enumerate(lines) if line.startswith("CREATE SCHEMA")), None)
    if body_start is None:
        raise ArchiveError("schema.sql 中没有 CREATE SCHEMA（not a schema dump）")
    if lines[body_start].rstrip("\n") != f"CREATE SCHEMA {_quote(schema)};":
        raise ArchiveError(f"schema.sql 不是 {schema} 的导出（dump of another schema）")
    # The schema is made here, by the application's user; the role may only fill it.
    body = "".join(line for line in lines[body_start + 1:] if not line.startswith(("\\restrict", "\\unrestrict")))
    target = into or schema
    if into:  # every name pg_dump writes is schema-qualified and quoted (--quote-all-identifiers)
        body = body.replace(f"{_quote(schema)}.", f"{_quote(into)}.")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {_quote(target)}")
    try:
        run_confined(body, target)
    except RestoreRefused as exc:
        raise ArchiveError(f"恢复 schema 时出错，已全部回滚（schema.sql 只能写 {target} 本身）：{exc}") from exc
    finally:
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
    _compare_tables(found, manifest["tables"])
    shared = shared_counts(info["pk"])
    if shared != manifest["shared"]:
        raise ArchiveError(f"校验失败：共享数据数目不符（shared rows differ: {shared} != {manifest['shared']}）")
    if memberships(info["pk"]) != manifest["memberships"]:
        raise ArchiveError("校验失败：岗位成员与导出时不同（role memberships differ）")
    report.tables, report.rows, report.shared = len(found), sum(found.values()), shared


def _compare_tables(found: dict[str, int], expected: dict[str, int]) -> None:
    if found != expected:
        differ = sorted(t for t in set(found) | set(expected) if found.get(t) != expected.get(t))
        raise ArchiveError(f"校验失败：表 {'、'.join(differ[:5])} 的行数与导出时不同（row counts differ）")


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
