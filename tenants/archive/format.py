"""The archive's format: the manifest's parts, reading an archive and
verifying it against its signature and checksums.

Nothing of an archive is used before `read_archive` returns. The counts
here (`table_counts`, `shared_counts`, `memberships`) are what an export
records in the manifest and what an import must find again after restoring.
"""
from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tenants.migration_state import applied_by_schema

from . import signing
from .errors import ArchiveError
from .shared_rows import SHARED_ROWS

FORMAT = 2  # 2: signed (manifest.sig); unsigned archives of format 1 are refused
# The fields of the accounts an archive carries (created on import only if missing).
USER_FIELDS = ["username", "first_name", "last_name", "email", "password", "is_active", "date_joined"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def quote(name: str) -> str:
    """A schema name from an archive, checked before it goes near SQL."""
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
            cursor.execute(f'SELECT count(*) FROM {quote(schema)}."{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def shared_counts(point_pk: int) -> dict[str, int]:
    return {entry.model: entry.rows(point_pk).count() for entry in SHARED_ROWS}


def memberships(point_pk: int) -> list[list[str]]:
    Through = get_user_model().groups.through
    rows = Through.objects.filter(group__point_group__point=point_pk).values_list("user__username", "group__name")
    return sorted([list(r) for r in rows])


def role_holders(point_pk: int):
    return get_user_model().objects.filter(groups__point_group__point=point_pk).distinct().order_by("pk")


def content_types() -> dict[str, int]:
    return {f"{ct.app_label}.{ct.model}": ct.pk for ct in ContentType.objects.all()}


def migrations(schema: str) -> list[list[str]]:
    return sorted([list(node) for node in applied_by_schema([schema]).get(schema, set())])


# --- reading and verifying an archive ------------------------------------------

def open_member(tar: tarfile.TarFile, member: tarfile.TarInfo | str) -> IO[bytes]:
    """A member's content. Only regular files have one: read_archive refuses any other member."""
    handle = tar.extractfile(member)
    if handle is None:
        raise ArchiveError(f"导出文件中的成员 {member} 不是普通文件，已拒绝。（special member）")
    return handle

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
            if signing.SIGNATURE_MEMBER not in members:
                raise ArchiveError("导出文件没有签名，已拒绝，未做任何改动：只接受由 export_point 生成并签名的"
                                   "导出文件（较早版本的导出文件请在原环境升级后重新导出）。（unsigned archive）")
            manifest_bytes = open_member(tar, members["manifest.json"]).read()
            signature = open_member(tar, members[signing.SIGNATURE_MEMBER]).read()
            if not signing.is_valid(manifest_bytes, signature):
                raise ArchiveError("导出文件签名无效，已拒绝，未做任何改动：文件在导出后被改动过，或由另一密钥签名"
                                   "（不是 YIMEN_ARCHIVE_KEY，也不在 YIMEN_ARCHIVE_KEY_FALLBACKS 中）。"
                                   "（bad signature）")
            manifest = json.loads(manifest_bytes)
            if manifest.get("format") != FORMAT:
                raise ArchiveError(f"导出文件格式 {manifest.get('format')} 不受支持（unsupported format）")
            expected = {"manifest.json", signing.SIGNATURE_MEMBER, *manifest["members"],
                        *(f"media/{rel}" for rel in manifest["media"])}
            if set(members) - expected:
                extra = "、".join(sorted(set(members) - expected)[:3])
                raise ArchiveError(f"导出文件中有清单之外的成员（{extra}），已拒绝。（unlisted members）")
            data = {}
            for name, digest in manifest["members"].items():
                data[name] = open_member(tar, members[name]).read()
                if sha256(data[name]) != digest:
                    raise ArchiveError(f"导出文件已损坏：{name} 校验和不符（checksum mismatch）")
            for rel, meta in manifest["media"].items():
                member = members.get(f"media/{rel}")
                if member is None:
                    raise ArchiveError(f"导出文件缺少文件 media/{rel}（missing file）")
                if sha256(open_member(tar, member).read()) != meta["sha256"]:
                    raise ArchiveError(f"导出文件已损坏：media/{rel} 校验和不符（checksum mismatch）")
    except (tarfile.TarError, KeyError, EOFError, OSError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"导出文件无法读取或不完整：{path}（{type(exc).__name__}: {exc}）") from exc
    return Archive(manifest, data["schema.sql"].decode(), json.loads(data["shared.json"]), path)


def verify_archive(path: Path) -> dict:
    return read_archive(path).manifest
