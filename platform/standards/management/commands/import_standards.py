"""Import standard items from JSON (the catalogue format) or the exporter's Excel.

Every row is checked first; any problem is reported by row, code and element
in Chinese, nothing is imported and the command exits non-zero.

This is the one path that publishes without a second central admin (the
admin's upload waits for review): it is for an operator at the server, and it
records who ran it (`--operator`, and always the system account) on the
import batch, printed at the end.
"""
import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from standards import authority
from standards.import_report import OUTCOME_LABELS, UNCHANGED, ImportRejected
from standards.importing import import_file


class Command(BaseCommand):
    help = "导入事项标准（.json 或 .xlsx）：先校验全部行，有任何问题则一项都不导入；内容未变的事项不产生新版本"

    def add_arguments(self, parser):
        parser.add_argument("file", help="标准事项文件（.json 或 .xlsx）")
        parser.add_argument("--dry-run", action="store_true", help="只校验并列出将发生的变化，不导入")
        parser.add_argument("--note", default="导入", help="新版本的修订说明")
        parser.add_argument("--authority", default="", metavar="区划代码",
                            help="事项所属：县级 6 位或市级 4 位区划代码；不填为全辖区共用（各县只读）。"
                                 "已有事项必须属于它")
        parser.add_argument("--operator", default="", metavar="姓名",
                            help="执行导入的人（记录在导入批次上，连同系统账号）；不填则只记系统账号")

    def handle(self, *args, **o):
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"文件“{path}”不存在。")
        dry_run = o["dry_run"]
        owner = o["authority"].strip()
        if not authority.is_valid(owner):
            raise CommandError(f"--authority “{owner}”应为 6 位（县级）或 4 位（市级）区划代码，或不填（全辖区共用）。")
        operator = "" if dry_run else self.operator(o["operator"])
        self.stdout.write(f"读取并校验 {path} …")

        def progress(index: int, total: int, code: str, outcome: str) -> None:
            if outcome != UNCHANGED or index % 50 == 0 or index == total:
                action = "将" + OUTCOME_LABELS[outcome] if dry_run and outcome != UNCHANGED else OUTCOME_LABELS[outcome]
                self.stdout.write(f"[{index}/{total}] {code} {action}")

        try:
            report = import_file(path, dry_run=dry_run, progress=progress, note=o["note"], owner=owner,
                                 operator=operator)
        except ImportRejected as exc:
            self.stderr.write(exc.report.problem_text())
            raise CommandError(f"{path.name} 有 {len(exc.report.problems)} 个问题，未导入任何事项。") from None
        prefix = "（试运行，未导入）" if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{report.summary()}"))
        if report.batch is not None:
            self.stdout.write(f"导入批次 {report.batch.pk}，操作人：{operator}")

    @staticmethod
    def operator(name: str) -> str:
        """Who ran it: the name given and the system account (which the flag cannot change)."""
        try:
            account = getpass.getuser()
        except (KeyError, OSError):  # no login name and no passwd entry (some containers)
            account = ""
        name = name.strip()
        if not name and not account:
            raise CommandError("无法确定操作人：请用 --operator 写明执行导入的人。")
        if name and account and name != account:
            return f"{name}（系统账号 {account}）"
        return name or account
