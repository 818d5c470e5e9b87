"""import_point: restore one point from its signed archive, and check it.

The import trusts nothing it has not checked: first the signature and every
checksum (format.read_archive), then that the schema is the named point's
and every shared row belongs to that point (checks.py); only then, in one
transaction: shared rows, accounts that are missing, the schema SQL (run as a
role that can write only that schema, restore_role.py), then a check that
every count matches the manifest; any mismatch or error rolls all of it back.
Files are unpacked beside MEDIA_ROOT/<schema>, checked, and moved into place
only after the commit. A dry run restores the schema SQL into a scratch
schema under the same role and rolls it back: nothing of the point is touched.

Archives restore into the cell they came from (or one of the same release
whose content type ids agree): a point's tables name shared rows (users,
groups, content types) by id, without constraints (docs/tenancy.md).
"""
from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from tenants import active_schema
from tenants.hooks import point_restored
from tenants.migration_state import migration_files_on_disk, migrations_on_disk
from tenants.models import ServicePoint

from .checks import check_schema_of_point, check_shared_rows, loaded_rows_foreign
from .errors import ArchiveError
from .format import (
    USER_FIELDS,
    Archive,
    content_types,
    file_sha256,
    media_dir,
    memberships,
    open_member,
    quote,
    read_archive,
    schema_exists,
    shared_counts,
    table_counts,
)
from .restore_role import RestoreRefused, run_confined
from .shared_rows import SHARED_ROWS, delete_shared_rows


@dataclass
class ImportReport:
    schema: str
    tables: int = 0
    rows: int = 0
    shared: dict[str, int] = field(default_factory=dict)
    files: int = 0
    users_created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

def import_point(path: Path, *, replace: bool = False, dry_run: bool = False, log=print) -> ImportReport:
    # Signature and checksums first: nothing of the archive is used before they pass.
    archive = read_archive(path)
    manifest = archive.manifest
    info = manifest["point"]
    schema = info["schema"]
    quote(schema)  # a valid identifier, before it goes near SQL
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
    # Search documents are not archived: search rebuilds them from the restored
    # guides on this hook (tenants may not import search).
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        point_restored.send(sender=ServicePoint, point=ServicePoint.objects.get(schema_name=schema), log=log)
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
    ours = content_types()
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
        delete_shared_rows(existing.pk, raw=True)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE")


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
    in it as the restricted role (restore_role.py)."""
    # pg_dump's preamble sets session options (search_path '' among them) and
    # PostgreSQL 18's psql-only \restrict lines: none belongs on Django's
    # connection. Only the preamble is filtered, never row data further down.
    lines = sql.splitlines(keepends=True)
    body_start = next((i for i, line in enumerate(lines) if line.startswith("CREATE SCHEMA")), None)
    if body_start is None:
        raise ArchiveError("schema.sql 中没有 CREATE SCHEMA（not a schema dump）")
    if lines[body_start].rstrip("\n") != f"CREATE SCHEMA {quote(schema)};":
        raise ArchiveError(f"schema.sql 不是 {schema} 的导出（dump of another schema）")
    # The schema is made here, by the application's user; the role may only fill it.
    body = "".join(line for line in lines[body_start + 1:] if not line.startswith(("\\restrict", "\\unrestrict")))
    target = into or schema
    if into:  # every name pg_dump writes is schema-qualified and quoted (--quote-all-identifiers)
        body = body.replace(f"{quote(schema)}.", f"{quote(into)}.")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(target)}")
    try:
        run_confined(body, target)
    except RestoreRefused as exc:
        raise ArchiveError(f"恢复 schema 时出错，已全部回滚（schema.sql 只能写 {target} 本身）：{exc}") from exc
    finally:
        active_schema.switch_to_public()


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
            with open_member(tar, f"media/{rel}") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
    return staging


def _verify_media_tree(root: Path, manifest: dict) -> None:
    found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    if set(found) != set(manifest["media"]):
        raise ArchiveError(f"校验失败：{root} 中的文件与导出时不同（files differ）")
    for rel, meta in manifest["media"].items():
        if file_sha256(found[rel]) != meta["sha256"]:
            raise ArchiveError(f"校验失败：文件 {rel} 内容不同（checksum mismatch）")


def _put_media_in_place(staging: Path, schema: str) -> None:
    final = media_dir(schema)
    old = final.with_name(f".replaced-{schema}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
