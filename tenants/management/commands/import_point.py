"""manage.py import_point FILE [--replace] [--dry-run]: verify a signed archive, restore the point, check it."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.archive.errors import ArchiveError
from tenants.archive.restore import import_point


class Command(BaseCommand):
    help = "从签名的导出文件恢复一个服务点，并逐表、逐文件校验；签名无效或任何不符都不做改动。"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="export_point 生成的 .tar.gz")
        parser.add_argument("--replace", action="store_true", help="服务点已存在时，用导出文件覆盖它")
        parser.add_argument("--dry-run", action="store_true",
                            help="校验签名、校验和与共享数据，并在临时 schema 中演练恢复后回滚："
                                 "证明备份可以恢复，不改变任何数据")

    def handle(self, *args, **options):
        try:
            report = import_point(Path(options["archive"]), replace=options["replace"],
                                  dry_run=options["dry_run"], log=self.stdout.write)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        shared = "，".join(f"{model} {n}" for model, n in report.shared.items())
        done = "演练完成（已回滚）" if options["dry_run"] else "已导入"
        self.stdout.write(self.style.SUCCESS(
            f"{done} {report.schema}：{report.tables} 张表 {report.rows} 行；共享数据：{shared}；"
            f"文件 {report.files} 个。校验通过。"))
        if report.users_created:
            self.stdout.write(f"新建账号：{'、'.join(report.users_created)}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))
