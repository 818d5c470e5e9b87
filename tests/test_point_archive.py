"""Back up and restore one service point: export_point, delete_point, import_point.

A point's pages, its uploaded files and who holds which role there must all
come back after the point was deleted, and a damaged or clashing archive must
change nothing.
"""
from __future__ import annotations

import io
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

from ops import shared_rows
from ops.pointarchive import media_dir, schema_exists
from standards.models import Adoption
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
    guide_code = Adoption.objects.filter(point=village).order_by("item__code").first().item.code
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
    assert client_at(village).get(f"/media/{file_name}").getvalue() == FILE_BYTES
    # Its catalogue is back: the same items at the same versions, and their guides.
    assert sorted(Adoption.objects.filter(point=village).values_list("item_id", "version_id")) == adoptions
    assert client_at(village).get(f"/items/{guide_code}/").status_code == 200
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
        "add these to ops/shared_rows.py SHARED_ROWS (or NOT_EXPORTED with a reason)")
    # The guard notices a table left out.
    monkeypatch.setattr(shared_rows, "SHARED_ROWS",
                        [e for e in shared_rows.SHARED_ROWS if e.model != "tenants.Domain"])
    assert shared_rows.undeclared_point_references() == ['SharedRows("tenants.Domain", "tenant")']
