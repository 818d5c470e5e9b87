"""Back up and restore one service point: export_point, delete_point, import_point.

A point's pages, its uploaded files and who holds which role there must all
come back after the point was deleted, and a damaged or clashing archive must
change nothing. An archive is trusted only when signed with the cell's key,
may restore only its own point, and its SQL runs as a role that can write
only that point's schema (docs/operations.md, "Back up and restore a point").
"""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import tenant_context
from wagtail.documents.models import Document
from wagtail.models import Page

from search.models import SearchDocument, SearchLog
from standards.models import Adoption
from tenants.archive import shared_rows, signing
from tenants.archive.format import media_dir, schema_exists
from tenants.models import Domain, PointGroup, Role, ServicePoint

PASSWORD = "pass-Word-2026"
FILE_BYTES = "文昌社区办事指南（打印版）\n".encode() * 50


def _furnish(point):
    """A page below the home page, a second revision of the home page, an uploaded document."""
    with tenant_context(point):
        home = Page.objects.get(depth=2).specific
        home.intro = "<p>欢迎来到便民服务站</p>"
        home.save_revision().publish()
        guide = home.add_child(instance=Page(title="社保卡补办指南", slug="shebaoka"))
        guide.save_revision().publish()
        document = Document.objects.create(title="办事指南", file=ContentFile(FILE_BYTES, name="guide.txt"))
        return home.pk, guide.pk, document.file.name


def _snapshot(point):
    with tenant_context(point):
        pages = sorted(Page.objects.values_list("path", "title", "live"))
        from wagtail.models import Revision

        revisions = Revision.objects.count()
        documents = sorted(Document.objects.values_list("title", "file"))
    groups = {pg.role: sorted(pg.group.user_set.values_list("username", flat=True))
              for pg in PointGroup.objects.filter(point=point).select_related("group")}
    permissions = {pg.role: sorted(pg.group.permissions.values_list("codename", flat=True))
                   for pg in PointGroup.objects.filter(point=point).select_related("group")}
    return {"pages": pages, "revisions": revisions, "documents": documents, "members": groups,
            "permissions": permissions}


def _can_edit(client_at, point, user, page_pk) -> bool:
    client = client_at(point)
    assert client.login(username=user.username, password=PASSWORD)
    return client.get(f"/admin/pages/{page_pk}/edit/").status_code == 200


def _found(client, q: str) -> list[str]:
    response = client.get("/api/search", {"q": q})
    assert response.status_code == 200
    return [result["code"] for result in json.loads(response.content)["results"]]


def test_export_delete_import_brings_the_point_back(network, client_at, tmp_path):
    village = network.village
    home_pk, guide_pk, file_name = _furnish(village)
    editor = network.user("editor", village, Role.EDITOR)
    clerk = network.user("clerk", village, Role.CLERK)
    town_admin = network.user("townadmin", network.township, Role.ADMIN)  # reaches down to the village
    before = _snapshot(village)
    assert _can_edit(client_at, village, editor, guide_pk)
    assert _can_edit(client_at, village, town_admin, guide_pk)
    point_pk, schema, host = village.pk, village.schema_name, village.primary_host
    adoptions = sorted(Adoption.objects.filter(point=village).values_list("item_id", "version_id"))
    assert adoptions  # onboarding adopted the village's catalogue
    guide_item = Adoption.objects.filter(point=village).order_by("item__code").first().item
    guide_code = guide_item.code
    # A citizen finds the guide in the point's search (which logs the search).
    network.index()
    assert guide_code in _found(client_at(village), guide_item.current.name)
    searches = list(SearchLog.objects.filter(point=village).values_list("query", flat=True))
    assert searches
    group_ids = sorted(PointGroup.objects.filter(point=village).values_list("group_id", flat=True))

    archive = tmp_path / "village.tar.gz"
    call_command("export_point", village.slug, "-o", str(archive), stdout=io.StringIO())
    out = io.StringIO()
    call_command("export_point", "--verify", str(archive), stdout=out)
    assert "导出文件完好" in out.getvalue()

    call_command("delete_point", village.slug, "--confirm", village.slug, stdout=io.StringIO())
    assert not ServicePoint.objects.filter(pk=point_pk).exists()
    assert not schema_exists(schema)
    assert not Domain.objects.filter(domain=host).exists()
    assert not Group.objects.filter(pk__in=group_ids).exists()
    assert not media_dir(schema).exists()
    assert client_at(village).get("/").status_code == 404
    assert not client_at(village).login(username=editor.username, password=PASSWORD)
    assert not Adoption.objects.filter(point_id=point_pk).exists()
    # Its search documents went too (search on tenants.hooks.point_deleting / point_deleted).
    assert not SearchDocument.objects.filter(point_id=point_pk).exists()

    out = io.StringIO()
    call_command("import_point", str(archive), stdout=out)
    assert "校验通过" in out.getvalue()

    village = ServicePoint.objects.get(pk=point_pk)
    assert _snapshot(village) == before
    assert sorted(PointGroup.objects.filter(point=village).values_list("group_id", flat=True)) == group_ids
    assert (media_dir(schema) / file_name).read_bytes() == FILE_BYTES
    # Citizens see the site again, with the restored page.
    page = client_at(village).get("/shebaoka/")
    assert page.status_code == 200 and "社保卡补办指南" in page.content.decode()
    with tenant_context(village):
        document_url = Document.objects.get(file=file_name).url  # documents go only through their view
    assert client_at(village).get(document_url).getvalue() == FILE_BYTES
    # Its catalogue is back: the same items at the same versions, and their guides.
    assert sorted(Adoption.objects.filter(point=village).values_list("item_id", "version_id")) == adoptions
    assert client_at(village).get(f"/items/{guide_code}/").status_code == 200
    # Search finds it again (documents rebuilt on tenants.hooks.point_restored), and
    # the point's search statistics came back with it (rows search registers for export).
    assert list(SearchLog.objects.filter(point=village).values_list("query", flat=True)) == searches
    assert guide_code in _found(client_at(village), guide_item.current.name)
    # Staff hold their roles again: editor and the township's admin edit, the clerk signs in.
    assert _can_edit(client_at, village, editor, guide_pk)
    assert _can_edit(client_at, village, town_admin, guide_pk)
    assert client_at(village).login(username=clerk.username, password=PASSWORD)
    # The restored point is one more point, not a stranger: onboarding goes on after it.
    network.make("village3", "village", village.region_code[:9] + "209", "town")


def test_restoring_a_point_that_still_exists_needs_replace_and_undoes_later_changes(network, client_at, tmp_path):
    village = network.village
    _, guide_pk, file_name = _furnish(village)
    editor = network.user("editor", village, Role.EDITOR)
    archive = tmp_path / "village.tar.gz"
    call_command("export_point", village.slug, "-o", str(archive), stdout=io.StringIO())
    before = _snapshot(village)

    # After the backup: a page deleted, a page added, a file replaced, the editor's role revoked.
    with tenant_context(village):
        Page.objects.get(pk=guide_pk).delete()
        Page.objects.get(depth=2).add_child(instance=Page(title="误建页面", slug="oops"))
    (media_dir(village.schema_name) / file_name).write_bytes(b"overwritten")
    editor.groups.clear()

    with pytest.raises(CommandError, match="已存在.*--replace"):
        call_command("import_point", str(archive), stdout=io.StringIO())
    with tenant_context(village):
        assert Page.objects.filter(slug="oops").exists()  # refused: nothing changed

    out = io.StringIO()
    call_command("import_point", str(archive), "--dry-run", stdout=out)
    assert "已回滚" in out.getvalue()
    with tenant_context(village):
        assert Page.objects.filter(slug="oops").exists()  # a dry run changes nothing
    connection.set_schema_to_public()

    call_command("import_point", str(archive), "--replace", stdout=io.StringIO())
    assert _snapshot(village) == before
    assert (media_dir(village.schema_name) / file_name).read_bytes() == FILE_BYTES
    assert client_at(village).get("/oops/").status_code == 404
    assert _can_edit(client_at, village, editor, guide_pk)
    # The village's own children of the network are untouched.
    assert ServicePoint.objects.get(pk=village.pk).parent == network.township


def test_a_damaged_archive_is_refused_and_changes_nothing(network, tmp_path):
    village = network.village
    _furnish(village)
    archive = tmp_path / "village.tar.gz"
    call_command("export_point", village.slug, "-o", str(archive), stdout=io.StringIO())
    call_command("delete_point", village.slug, "--confirm", village.slug, stdout=io.StringIO())

    # One row of the schema dump altered after export.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "schema.sql":
                data = data.replace("社保卡补办指南".encode(), "篡改过的标题".encode())
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="已损坏：schema.sql"):
        call_command("import_point", str(damaged), stdout=io.StringIO())
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="无法读取或不完整"):
        call_command("import_point", str(truncated), stdout=io.StringIO())

    assert not ServicePoint.objects.filter(slug=village.slug).exists()
    assert not schema_exists(village.schema_name)
    assert not media_dir(village.schema_name).exists()
    assert not any(Path(media_dir(village.schema_name)).parent.glob(f".import-{village.schema_name}-*"))
    call_command("import_point", str(archive), stdout=io.StringIO())  # the good one still restores
    assert ServicePoint.objects.filter(slug=village.slug).exists()


def test_a_point_with_points_below_it_is_not_deleted(network):
    township = network.township
    with pytest.raises(CommandError, match="还有下级服务点"):
        call_command("delete_point", township.slug, "--confirm", township.slug, stdout=io.StringIO())
    with pytest.raises(CommandError, match="不一致"):
        call_command("delete_point", township.slug, "--confirm", "other", stdout=io.StringIO())
    assert schema_exists(township.schema_name)
    assert PointGroup.objects.filter(point=township).count() == 4


def test_every_shared_table_pointing_at_a_point_is_declared_for_export(monkeypatch):
    assert shared_rows.undeclared_point_references() == [], (
        "declare these in tenants/archive/shared_rows.py SHARED_ROWS, or from the app's AppConfig.ready() "
        "with shared_rows.register(...) (or register_not_exported(model, reason))")
    # The guard notices a table left out.
    monkeypatch.setattr(shared_rows, "SHARED_ROWS",
                        [e for e in shared_rows.SHARED_ROWS if e.model != "tenants.Domain"])
    assert shared_rows.undeclared_point_references() == ['SharedRows("tenants.Domain", "tenant")']


# --- archives that must not be trusted ---------------------------------------------

KEY = "archive-key-of-the-cell-0123456789abcdef"
OLD_KEY = "archive-key-before-the-rotation-0123456789"
OTHER_KEY = "archive-key-of-another-cell-0123456789abc"


def _rewrite(archive: Path, target: Path, *, sql=None, manifest=None, shared=None,
             key: str | None = None, signature: bytes | None = None, unsigned: bool = False) -> Path:
    """A copy of `archive` with members edited (functions of the old content),
    the manifest's checksums brought in line, and signed with `key` (default:
    the cell's current key), which is what someone holding that key can make.
    `signature` keeps a given signature instead, `unsigned` drops it."""
    with tarfile.open(archive) as source:
        members = {m.name: source.extractfile(m).read() for m in source.getmembers()}
    if sql:
        members["schema.sql"] = sql(members["schema.sql"].decode()).encode()
    if shared:
        members["shared.json"] = json.dumps(shared(json.loads(members["shared.json"])),
                                            ensure_ascii=False).encode()
    data = json.loads(members["manifest.json"])
    data["members"] = {name: hashlib.sha256(members[name]).hexdigest() for name in data["members"]}
    if manifest:
        data = manifest(data)
    members["manifest.json"] = json.dumps(data, ensure_ascii=False, indent=1).encode()
    members.pop(signing.SIGNATURE_MEMBER)
    if signature is not None:
        members[signing.SIGNATURE_MEMBER] = signature
    elif not unsigned:
        members[signing.SIGNATURE_MEMBER] = signing.sign(
            members["manifest.json"], key.encode() if key else None)
    with tarfile.open(target, "w:gz") as out:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            out.addfile(info, io.BytesIO(content))
    return target


def _one_byte_changed(sql: str) -> str:
    """The restored page's slug, one letter changed, in the INSERT of the dump."""
    assert "'shebaoka'" in sql
    return sql.replace("'shebaoka'", "'shebaokb'", 1)


def _signature(archive: Path) -> bytes:
    with tarfile.open(archive) as tar:
        return tar.extractfile(signing.SIGNATURE_MEMBER).read()


def _refused(archive: Path, match: str, *args: str) -> None:
    with pytest.raises(CommandError, match=match):
        call_command("import_point", str(archive), *args, stdout=io.StringIO())
    connection.set_schema_to_public()


def _gone(point) -> bool:
    """Nothing of a deleted point came back."""
    return not (ServicePoint.objects.filter(slug=point.slug).exists() or schema_exists(point.schema_name)
                or Group.objects.filter(name__startswith=f"{point.slug}:").exists()
                or Domain.objects.filter(domain=point.primary_host).exists()
                or media_dir(point.schema_name).exists())


def _public_sequences() -> dict[str, int | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        return dict(cursor.fetchall())


def test_an_archive_changed_after_export_or_signed_with_another_key_is_refused(network, tmp_path, settings):
    settings.YIMEN_ARCHIVE_KEY, settings.YIMEN_ARCHIVE_KEY_FALLBACKS = OLD_KEY, []
    village = network.village
    _furnish(village)
    archive = tmp_path / "village.tar.gz"
    call_command("export_point", village.slug, "-o", str(archive), stdout=io.StringIO())
    call_command("delete_point", village.slug, "--confirm", village.slug, stdout=io.StringIO())
    signed = _signature(archive)

    # One byte of the SQL changed and the manifest's checksum made to match: the signature no longer does.
    tampered = _rewrite(archive, tmp_path / "tampered.tar.gz", signature=signed,
                        sql=_one_byte_changed)
    _refused(tampered, "签名无效")
    with pytest.raises(CommandError, match="签名无效"):
        call_command("export_point", "--verify", str(tampered), stdout=io.StringIO())
    # The manifest alone changed (a point of another name), or the signature dropped.
    renamed = _rewrite(archive, tmp_path / "renamed.tar.gz", signature=signed,
                       manifest=lambda m: {**m, "point": {**m["point"], "name": "另一个服务点"}})
    _refused(renamed, "签名无效")
    _refused(_rewrite(archive, tmp_path / "unsigned.tar.gz", unsigned=True), "没有签名")
    # A well-formed archive, signed with a key this cell does not hold.
    _refused(_rewrite(archive, tmp_path / "foreign.tar.gz", key=OTHER_KEY), "签名无效")
    assert _gone(village)

    # Rotation: a new key signs; the old one, kept among the fallbacks, still opens older archives.
    settings.YIMEN_ARCHIVE_KEY = KEY
    _refused(archive, "签名无效")
    settings.YIMEN_ARCHIVE_KEY_FALLBACKS = [OLD_KEY]
    _refused(_rewrite(archive, tmp_path / "foreign2.tar.gz", key=OTHER_KEY), "签名无效")
    assert _gone(village)
    call_command("import_point", str(archive), stdout=io.StringIO())
    assert ServicePoint.objects.filter(slug=village.slug).exists()
    again = tmp_path / "again.tar.gz"
    call_command("export_point", village.slug, "-o", str(again), stdout=io.StringIO())
    assert _signature(again) == signing.sign(_manifest_bytes(again), KEY.encode())


def _manifest_bytes(archive: Path) -> bytes:
    with tarfile.open(archive) as tar:
        return tar.extractfile("manifest.json").read()


def test_an_archive_restores_only_its_own_point(network, client_at, tmp_path):
    village, township, county = network.village, network.township, network.county
    _furnish(village)
    editor = network.user("editor", village, Role.EDITOR)
    archive = tmp_path / "village.tar.gz"
    call_command("export_point", village.slug, "-o", str(archive), stdout=io.StringIO())
    township_before, village_before = _snapshot(township), _snapshot(village)
    own = f'"{village.schema_name}".'

    def to_schema(name):
        def manifest(m):
            return {**m, "point": {**m["point"], "schema": name}}

        def shared(s):
            s["rows"]["tenants.ServicePoint"][0]["fields"]["schema_name"] = name
            return s

        def sql(text):
            return text.replace(f'CREATE SCHEMA "{village.schema_name}";', f'CREATE SCHEMA "{name}";').replace(
                own, f'"{name}".')

        return {"manifest": manifest, "shared": shared, "sql": sql}

    # Signed with the right key, but its schema renamed to the township's: --replace must not overwrite it.
    over_township = _rewrite(archive, tmp_path / "over-township.tar.gz", **to_schema(township.schema_name))
    _refused(over_township, "不是服务点.*的 schema", "--replace")
    _refused(over_township, "不是服务点.*的 schema", "--dry-run")
    # Nor may it land in a schema of another name.
    _refused(_rewrite(archive, tmp_path / "elsewhere.tar.gz", **to_schema("p_elsewhere")),
             "不是服务点.*的 schema", "--replace")
    assert not schema_exists("p_elsewhere")

    # Shared rows of other points: the village's editor made central admin of the county, and an
    # adoption filed under the township.
    central = f"{county.slug}:{Role.CENTRAL_ADMIN}"

    def grant_elsewhere(s):
        s["rows"]["accounts.User_groups"].append(
            {"model": "accounts.user_groups", "pk": None, "fields": {"user": [editor.username], "group": [central]}})
        return s

    def count_it(m):
        m["shared"]["accounts.User_groups"] += 1
        m["memberships"] = sorted([*m["memberships"], [editor.username, central]])
        return m

    _refused(_rewrite(archive, tmp_path / "roles.tar.gz", shared=grant_elsewhere, manifest=count_it),
             f"不属于服务点“{village.slug}”.*{central}", "--replace")

    # A 中心管理员 role group the village's tier does not have, its editor in it.
    made_up = f"{village.slug}:{Role.CENTRAL_ADMIN}"

    def central_at_village(s):
        s["rows"]["auth.Group"].append({"model": "auth.group", "pk": 10**9, "fields": {"name": made_up}})
        s["rows"]["tenants.PointGroup"].append({"model": "tenants.pointgroup", "pk": 10**9, "fields": {
            "point": village.pk, "role": Role.CENTRAL_ADMIN.value, "group": [made_up]}})
        s["rows"]["accounts.User_groups"].append(
            {"model": "accounts.user_groups", "pk": None, "fields": {"user": [editor.username], "group": [made_up]}})
        return s

    def count_them(m):
        for model in ("auth.Group", "tenants.PointGroup", "accounts.User_groups"):
            m["shared"][model] += 1
        m["memberships"] = sorted([*m["memberships"], [editor.username, made_up]])
        return m

    _refused(_rewrite(archive, tmp_path / "central.tar.gz", shared=central_at_village, manifest=count_them),
             "不属于服务点.*central_admin", "--replace")
    assert not Group.objects.filter(name=made_up).exists()

    def adopt_for_township(s):
        s["rows"]["standards.Adoption"][0]["fields"]["point"] = township.pk
        return s

    _refused(_rewrite(archive, tmp_path / "adoption.tar.gz", shared=adopt_for_township),
             "不属于服务点.*standards.Adoption", "--replace")

    assert not editor.groups.filter(name=central).exists()
    assert _snapshot(township) == township_before and _snapshot(village) == village_before
    assert client_at(township).get("/").status_code == 200
    # The archive as exported still restores its own point.
    call_command("import_point", str(archive), "--replace", stdout=io.StringIO())
    assert _snapshot(village) == village_before


def test_a_dry_run_checks_and_rehearses_but_changes_nothing(network, tmp_path):
    village = network.village
    _furnish(village)
    network.user("editor", village, Role.EDITOR)
    archive = tmp_path / "village.tar.gz"
    call_command("export_point", village.slug, "-o", str(archive), stdout=io.StringIO())
    call_command("delete_point", village.slug, "--confirm", village.slug, stdout=io.StringIO())
    sequences = _public_sequences()

    out = io.StringIO()
    call_command("import_point", str(archive), "--dry-run", stdout=out)
    assert "演练完成（已回滚）" in out.getvalue() and "校验通过" in out.getvalue()
    assert _gone(village)
    # Not even an id was drawn from a shared table's sequence (those are not rolled back).
    assert _public_sequences() == sequences
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'yimen_dryrun_%%'")
        assert cursor.fetchone()[0] == 0
    # A dry run of a changed archive is refused like the real thing.
    _refused(_rewrite(archive, tmp_path / "tampered.tar.gz", signature=_signature(archive),
                      sql=_one_byte_changed), "签名无效", "--dry-run")
    assert _gone(village)


def test_the_archive_sql_can_write_only_its_own_schema_even_when_signed(network, tmp_path):
    village, township, county = network.village, network.township, network.county
    _furnish(village)
    editor = network.user("editor", village, Role.EDITOR)
    archive = tmp_path / "village.tar.gz"
    call_command("export_point", village.slug, "-o", str(archive), stdout=io.StringIO())
    village_before, township_before = _snapshot(village), _snapshot(township)
    central = Group.objects.get(name=f"{county.slug}:{Role.CENTRAL_ADMIN}")
    grant = (f'INSERT INTO "public"."accounts_user_groups" ("user_id", "group_id") '
             f"VALUES ({editor.pk}, {central.pk});")
    schema = f'"{village.schema_name}"'
    statements = {
        "public": grant,
        "another point": f'UPDATE "{township.schema_name}"."wagtailcore_page" SET "title" = \'篡改\';',
        "role undone": f"RESET ROLE; {grant}",
        "session user": f"SET SESSION AUTHORIZATION postgres; {grant}",
        "transaction ended": f"COMMIT; {grant} BEGIN;",
        "trigger for later": (
            f"CREATE FUNCTION {schema}.\"later\"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {grant} "
            f"RETURN NEW; END $$; CREATE TRIGGER \"later\" AFTER INSERT ON {schema}.\"wagtailcore_page\" "
            f"FOR EACH ROW EXECUTE FUNCTION {schema}.\"later\"();"),
    }
    for name, statement in statements.items():
        crafted = _rewrite(archive, tmp_path / f"{name}.tar.gz", sql=lambda sql, s=statement: f"{sql}\n{s}\n")
        for mode in ("--replace", "--dry-run"):
            _refused(crafted, "恢复 schema 时出错", mode)
            assert not editor.groups.filter(pk=central.pk).exists(), (name, mode)
            assert _snapshot(township) == township_before, (name, mode)
            assert _snapshot(village) == village_before, (name, mode)
    # The role the SQL ran as owns nothing afterwards, and the exported archive restores as before.
    call_command("import_point", str(archive), "--replace", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relowner = 'yimen_restore'::regrole")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = %s", [village.schema_name])
        assert cursor.fetchall() == [(connection.settings_dict["USER"] or "postgres",)]
    assert _snapshot(village) == village_before
