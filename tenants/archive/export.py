"""export_point: one point's schema, shared rows and files in one signed archive.

Schema and shared rows are read from one database snapshot (pg_dump
--snapshot), so they agree even while people work. The archive is written
under a temporary name, renamed, then read back and verified.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import serializers
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import ServicePoint
from tenants.schema_template import pg_dump_binary, pg_dump_connection

from . import signing
from .errors import ArchiveError
from .format import (
    FORMAT,
    USER_FIELDS,
    content_types,
    file_sha256,
    media_dir,
    memberships,
    migrations,
    role_holders,
    sha256,
    shared_counts,
    table_counts,
    verify_archive,
)
from .shared_rows import SHARED_ROWS


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
            users = json.loads(serializers.serialize("json", role_holders(point.pk), fields=USER_FIELDS))
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "exported_at": timezone.now().isoformat(),
                "point": {"slug": point.slug, "name": point.name, "schema": schema, "pk": point.pk,
                          "parent_slug": point.parent.slug if point.parent else None,
                          "parent_pk": point.parent_id},
                "migrations": migrations(schema),
                "content_types": content_types(),
                "tables": table_counts(schema),
                "shared": shared_counts(point.pk),
                "memberships": memberships(point.pk),
            }
    shared_json = json.dumps({"rows": shared, "users": users}, ensure_ascii=False, indent=1).encode()
    schema_bytes = schema_sql.encode()
    files = _media_files(schema)
    manifest["members"] = {"schema.sql": sha256(schema_bytes), "shared.json": sha256(shared_json)}
    manifest["media"] = {rel: {"sha256": file_sha256(path), "size": path.stat().st_size}
                         for rel, path in files.items()}
    log(f"[export] 写入 {destination}：{len(manifest['tables'])} 张表，"
        f"{sum(manifest['tables'].values())} 行，{len(files)} 个文件 …")
    if signing.uses_derived_key():
        log("[export] 注意：未设置 YIMEN_ARCHIVE_KEY，用由 SECRET_KEY 派生的密钥签名；"
            "SECRET_KEY 更换且移出 SECRET_KEY_FALLBACKS 后，此文件将无法导入。生产环境请设置 YIMEN_ARCHIVE_KEY。")
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        _add_bytes(tar, "manifest.json", manifest_bytes)
        _add_bytes(tar, signing.SIGNATURE_MEMBER, signing.sign(manifest_bytes))
        _add_bytes(tar, "schema.sql", schema_bytes)
        _add_bytes(tar, "shared.json", shared_json)
        for rel, path in sorted(files.items()):
            tar.add(str(path), arcname=f"media/{rel}", recursive=False)
    os.replace(partial, destination)  # never a half-written archive under the final name
    verify_archive(destination)
    log(f"[export] 校验通过（已签名）：{destination}")
    return manifest


def _dump_schema(schema: str, snapshot: str) -> str:
    connect, env = pg_dump_connection()
    result = subprocess.run(
        [pg_dump_binary(), "--schema", schema, "--snapshot", snapshot, "--no-owner", "--no-privileges",
         "--no-comments", "--inserts", "--rows-per-insert=500", "--quote-all-identifiers", *connect],
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
