"""What a point archive may restore: its own point, under that point's schema,
with shared rows of that point only.

Run after the signature and checksums (format.read_archive) and
before anything is written: a signed archive is one the operators made, and
these checks hold even so, so that a wrong or crafted archive cannot
overwrite another point (a schema of another name) or hand out roles
elsewhere (a membership in another point's group). `loaded_rows_foreign`
checks the same again in the database, for every model of SHARED_ROWS,
after the rows are in and before the transaction commits.
"""
from __future__ import annotations

from django.conf import settings

from tenants.models import ServicePoint
from tenants.onboarding import schema_name_for
from tenants.roles import roles_for_tier

from .errors import ArchiveError
from .shared_rows import SHARED_ROWS


def check_schema_of_point(manifest: dict) -> None:
    """The archive's schema is the one of the point it names, and nobody else's."""
    info = manifest["point"]
    slug, schema = info["slug"], info["schema"]
    existing = ServicePoint.objects.filter(slug=slug).first()
    expected = existing.schema_name if existing is not None else schema_name_for(slug)
    if schema != expected:
        raise ArchiveError(f"导出文件中的 schema“{schema}”不是服务点“{slug}”的 schema（应为 {expected}），"
                           "已拒绝，未做任何改动。（schema does not belong to the point）")
    holder = ServicePoint.objects.filter(schema_name=schema).exclude(slug=slug).first()
    if holder is not None or schema == settings.PUBLIC_SCHEMA_NAME:
        owner = holder.name if holder is not None else "公共 schema"
        raise ArchiveError(f"schema“{schema}”属于{owner}，不能由“{slug}”的导出文件恢复，已拒绝。")


def check_shared_rows(manifest: dict, shared: dict) -> None:
    """Every shared row of the archive names the archive's point (directly or through its groups)."""
    try:
        _check_shared_rows(manifest, shared)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ArchiveError(f"shared.json 的格式不对（{type(exc).__name__}: {exc}），已拒绝。") from exc


def _check_shared_rows(manifest: dict, shared: dict) -> None:
    info = manifest["point"]
    rows = shared.get("rows", {})
    unknown = sorted(set(rows) - {entry.model for entry in SHARED_ROWS})
    if unknown:
        raise ArchiveError(f"导出文件含有本版本不导入的共享数据：{'、'.join(unknown)}，已拒绝。")
    foreign: list[str] = []

    points = rows.get("tenants.ServicePoint", [])
    fields = points[0]["fields"] if len(points) == 1 else {}
    if (len(points) != 1 or points[0]["pk"] != info["pk"] or fields.get("slug") != info["slug"]
            or fields.get("schema_name") != info["schema"] or fields.get("parent") != info["parent_pk"]):
        foreign.append("服务点记录与清单不符")

    for entry in SHARED_ROWS:
        lookup = entry.point_lookup
        if "__" in lookup:
            continue  # through other rows: below, and again in the database
        for row in rows.get(entry.model, []):
            value = row["pk"] if lookup == "pk" else row["fields"].get(lookup)
            if value != info["pk"]:
                foreign.append(f"{entry.model} #{row['pk']}（属于服务点 #{value}）")

    # Roles the point's tier has (a village archive holds no 中心管理员 group).
    allowed = set(roles_for_tier(fields.get("tier", "")))
    foreign += [f"岗位 {row['fields'].get('role')}（{fields.get('tier')} 层级没有此岗位）"
                for row in rows.get("tenants.PointGroup", []) if row["fields"].get("role") not in allowed]
    # Role groups: the archive's auth groups are exactly those its PointGroup rows name.
    groups = {row["fields"]["name"]: row["pk"] for row in rows.get("auth.Group", [])}
    named = {_key(row["fields"]["group"]) for row in rows.get("tenants.PointGroup", [])}
    own_groups = {name for name, pk in groups.items() if name in named or pk in named}
    foreign += [f"auth.Group {name}（不是本服务点的岗位组）" for name in sorted(set(groups) - own_groups)]
    foreign += [f"tenants.PointGroup → {ref}（导出文件中没有该组）" for ref in sorted(named, key=str)
                if ref not in groups and ref not in groups.values()]
    members = set()
    for row in rows.get("accounts.User_groups", []):
        group, user = _key(row["fields"]["group"]), _key(row["fields"]["user"])
        if group not in own_groups and group not in {groups[name] for name in own_groups}:
            foreign.append(f"用户 {user} 属于组 {group} 的成员关系（不是本服务点的岗位组）")
        members.add(user)
    strangers = sorted(u["fields"]["username"] for u in shared.get("users", [])
                       if u["fields"]["username"] not in members)
    foreign += [f"账号 {name}（在本服务点没有岗位）" for name in strangers]

    if foreign:
        raise ArchiveError(f"导出文件中有不属于服务点“{info['slug']}”的共享数据，已拒绝，未做任何改动："
                           + "；".join(foreign[:5]) + ("…" if len(foreign) > 5 else ""))
    counted = {entry.model: len(rows.get(entry.model, [])) for entry in SHARED_ROWS}
    if counted != manifest["shared"]:
        raise ArchiveError(f"共享数据数目与清单不符（shared rows differ: {counted} != {manifest['shared']}）")


def loaded_rows_foreign(point_pk: int, loaded: dict[str, list]) -> list[str]:
    """Rows just restored that the point's own lookups do not find (the same
    lookups that export and delete use): each names a model and its ids."""
    found = []
    for entry in SHARED_ROWS:
        ids = set(loaded.get(entry.model, []))
        ours = set(entry.rows(point_pk).filter(pk__in=ids).values_list("pk", flat=True))
        if ids - ours:
            found.append(f"{entry.model} #{sorted(ids - ours)[:5]}")
    return found


def _key(value):
    """A foreign key as serialized: a natural key (["name"]) or a primary key."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else tuple(value)
    return value
