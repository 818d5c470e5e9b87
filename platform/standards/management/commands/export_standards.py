"""Export every standard item's current version to JSON or Excel."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from standards.exporting import export


class Command(BaseCommand):
    help = "导出事项标准库的现行版本（.json 或 .xlsx，按文件后缀）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="输出文件（.json 或 .xlsx）")

    def handle(self, *args, **o):
        path = Path(o["file"])
        if path.suffix.lower() not in (".json", ".xlsx"):
            raise CommandError(f"不支持的文件类型“{path.suffix or '无后缀'}”，请用 .json 或 .xlsx。")
        if not path.parent.is_dir():
            raise CommandError(f"目录“{path.parent}”不存在。")
        count = export(path)
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 项标准事项到 {path}"))
