"""Importing and exporting the standard library: idempotent, all or nothing,
problems reported by row and element in Chinese, Excel round trip; published
versions never change."""
from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tests.conftest import ROOT, child_env

DEMO_FILE = ROOT / "platform/standards/demo_data/standard_items.json"


def demo_records() -> list[dict]:
    return json.loads(DEMO_FILE.read_text("utf-8"))


def version_count() -> int:
    from standards.models import StandardItemVersion

    return StandardItemVersion.objects.count()


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def new_code() -> str:
    import secrets

    from standards.models import StandardItem

    while True:
        code = f"YM-IMP-GG-{secrets.randbelow(1000):03d}"
        if not StandardItem.objects.filter(code=code).exists():
            return code


def test_importing_the_demo_file_twice_publishes_nothing_new():
    """The session loaded the demo catalogue already: importing it again changes nothing."""
    before = version_count()
    out, _ = run("import_standards", str(DEMO_FILE))
    assert "[50/223]" in out and "[223/223]" in out
    assert "共 223 项：已新增 0 项，已发布新版本 0 项，223 项未变。" in out
    assert version_count() == before


def test_import_publishes_only_what_changed_and_a_second_import_nothing(make_item, tmp_path):
    from standards.models import StandardItem, VersionStatus

    mine = make_item()
    record = {**demo_records()[5], "code": mine.code, "name": mine.name, "fee": "按页收取工本费 1 元"}
    fresh = {**demo_records()[7], "code": new_code(), "name": "导入新建的事项"}
    untouched = demo_records()[0]
    path = tmp_path / "items.json"
    path.write_text(json.dumps([untouched, record, fresh], ensure_ascii=False), "utf-8")

    # A dry run says what would happen and changes nothing.
    before = version_count()
    out, _ = run("import_standards", str(path), "--dry-run")
    assert f"{mine.code} 将新版本" in out and f"{fresh['code']} 将新增" in out
    assert "（试运行，未导入）共 3 项：将新增 1 项，将发布新版本 1 项，1 项未变。" in out
    assert version_count() == before

    out, _ = run("import_standards", str(path))
    assert "共 3 项：已新增 1 项，已发布新版本 1 项，1 项未变。" in out
    assert version_count() == before + 2
    item = StandardItem.objects.get(code=mine.code)
    assert item.current.number == 2 and item.current.status == VersionStatus.PUBLISHED
    assert item.current.content["fee"] == "按页收取工本费 1 元"
    assert StandardItem.objects.get(code=fresh["code"]).current.name == "导入新建的事项"

    out, _ = run("import_standards", str(path))
    assert "共 3 项：已新增 0 项，已发布新版本 0 项，3 项未变。" in out
    assert version_count() == before + 2


def test_a_file_with_bad_rows_is_reported_row_by_row_and_nothing_is_imported(make_item, tmp_path):
    from standards.models import StandardItem

    mine = make_item()
    good_new = {**demo_records()[3], "code": new_code()}
    changed = {**demo_records()[3], "code": mine.code, "fee": "改过的收费"}
    no_name = {**demo_records()[4], "code": new_code(), "name": ""}
    too_slow = {**demo_records()[6], "code": new_code(), "statutory_days": 5, "promised_days": 9}
    bad_material = {**demo_records()[8], "code": new_code()}
    bad_material["materials"] = [{**bad_material["materials"][0], "form": "传真件"}]
    duplicate = {**demo_records()[9], "code": good_new["code"]}
    bad_code = {**demo_records()[10], "code": "GAJ-001"}
    rows = [good_new, changed, no_name, too_slow, bad_material, duplicate, bad_code]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    before = version_count()

    with pytest.raises(CommandError) as failure:
        run("import_standards", str(path))
    assert "有 5 个问题，未导入任何事项" in str(failure.value)

    # The same through the real command line: exit code and the report on stderr.
    done = subprocess.run([sys.executable, "manage.py", "import_standards", str(path)], cwd=ROOT,
                          env=child_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    report = done.stderr
    assert "发现 5 个问题，未导入任何事项" in report
    assert f"第 3 条（{no_name['code']}） 事项名称：不能为空。" in report
    assert (f"第 4 条（{too_slow['code']}） 承诺办结时限（工作日）：承诺时限 9 个工作日不能超过法定时限 5 个工作日。"
            in report)
    assert f"第 5 条（{bad_material['code']}） 申请材料：第 1 项材料形式“传真件”不是可选值" in report
    assert f"第 6 条（{good_new['code']}） 基本编码：基本编码与第 1 条重复。" in report
    assert "第 7 条（GAJ-001） 基本编码：“GAJ-001”格式不对" in report

    # Nothing imported: not the good new row, not the good change.
    assert version_count() == before
    assert not StandardItem.objects.filter(code=good_new["code"]).exists()
    assert StandardItem.objects.get(code=mine.code).current.content["fee"] == mine.content["fee"]


def test_an_item_with_an_open_draft_blocks_the_import(make_item, tmp_path):
    from standards import services

    mine = make_item()
    services.start_draft(mine.item, note="编辑中")
    path = tmp_path / "one.json"
    path.write_text(json.dumps([{**demo_records()[0], "code": mine.code, "fee": "新收费"}], ensure_ascii=False))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import_standards", str(path), stdout=out, stderr=err)
    assert f"第 1 条（{mine.code}） 基本编码：该事项有未发布的第 2 版（草稿或待审核）" in err.getvalue()


def test_excel_round_trip_changes_nothing_and_a_clerks_edit_is_imported(make_item, tmp_path):
    from openpyxl import load_workbook

    from standards.models import StandardItem

    mine = make_item(legal_basis=[{"law": "《测试条例》", "article": "第三条", "text": "应当依法办理。"}],
                     faq=[{"q": "能代办吗？", "a": "可以，带委托书。"}], aliases=["别名甲", "别名乙"],
                     park_delegable=True, accept_tiers=["county", "township", "park"])
    path = tmp_path / "items.xlsx"
    # The shared items (the test catalogue is shared): other tests' counties own
    # items of their own, which an import in the cell's name may not change.
    out, _ = run("export_standards", str(path), "--authority", "")
    assert "已导出" in out

    book = load_workbook(path)
    assert book.sheetnames[:3] == ["事项", "申请材料", "常见问题"]
    items = book["事项"]
    header = [c.value for c in items[1]]
    assert header[:3] == ["基本编码", "事项名称", "常用名称"]
    row = next(r for r in items.iter_rows(min_row=2) if r[0].value == mine.code)
    cells = dict(zip(header, row, strict=False))
    assert cells["常用名称"].value == "别名甲\n别名乙"
    assert cells["可收件层级"].value == "县级\n乡镇（街道）\n园区"
    assert cells["可赋权园区"].value == "是"
    assert cells["设定依据"].value == "《测试条例》第三条｜应当依法办理。"
    assert any(r[0].value == mine.code and r[1].value == "能代办吗？" for r in book["常见问题"].iter_rows(min_row=2))

    before = version_count()
    out, _ = run("import_standards", str(path))
    assert "已新增 0 项，已发布新版本 0 项" in out
    assert version_count() == before

    # A clerk changes the conditions and adds a material row; only this item gets a new version.
    cells["受理条件"].value = "本县户籍居民，材料齐全。"
    book["申请材料"].append([mine.code, "委托书", "否", "原件", 1, "申请人提供", "代办时提供", None, None])
    book.save(path)
    out, _ = run("import_standards", str(path))
    assert f"{mine.code} 新版本" in out
    assert "已新增 0 项，已发布新版本 1 项" in out
    current = StandardItem.objects.get(code=mine.code).current
    assert current.number == 2
    assert current.content["conditions"] == "本县户籍居民，材料齐全。"
    assert current.content["materials"][-1] == {
        "name": "委托书", "required": False, "form": "原件", "copies": 1, "source": "申请人提供",
        "note": "代办时提供", "blank_form_url": "", "sample_url": ""}
    assert current.content["legal_basis"] == [{"law": "《测试条例》", "article": "第三条", "text": "应当依法办理。"}]


def test_bad_excel_rows_are_reported_by_sheet_row(make_item, tmp_path):
    from openpyxl import load_workbook

    mine = make_item()
    path = tmp_path / "items.xlsx"
    run("export_standards", str(path))
    book = load_workbook(path)
    items = book["事项"]
    header = [c.value for c in items[1]]
    number = next(r[0].row for r in items.iter_rows(min_row=2) if r[0].value == mine.code)
    items.cell(row=number, column=header.index("法定办结时限（工作日）") + 1).value = "二十"
    items.cell(row=number, column=header.index("服务对象") + 1).value = "企业"
    book["申请材料"].append(["YM-NON-XK-999", "无主材料", "是", "原件", 1, "申请人提供"])
    book.save(path)
    before = version_count()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import_standards", str(path), stdout=out, stderr=err)
    report = err.getvalue()
    assert "「申请材料」表第" in report and "基本编码“YM-NON-XK-999”在「事项」表中没有" in report
    assert version_count() == before


def test_a_published_version_never_changes(make_item):
    from standards import services
    from standards.models import StandardItemVersion

    version = make_item()
    raw = {**version.content, "fee": "偷偷改掉"}
    with pytest.raises(services.StandardsError, match="已发布，只有草稿可以修改"):
        services.update_draft(version, raw)
    with pytest.raises(services.StandardsError, match="已发布的版本不能删除"):
        services.discard_draft(version)

    # Not even a raw UPDATE or DELETE gets past the database.
    for statement in ("UPDATE standards_standarditemversion SET note = 'x' WHERE id = %s",
                      "DELETE FROM standards_standarditemversion WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [version.pk])
    version = StandardItemVersion.objects.get(pk=version.pk)
    assert version.content["fee"] != "偷偷改掉" and version.note != "x"
