"""Export the standard items' current versions to JSON or Excel: all of them,
or one authority's (what `import_standards --authority` takes back)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from standards import authority
from standards.exporting import current_records, export
from standards.models import StandardItem


class Command(BaseCommand):
    help = "导出事项标准库的现行版本（.json 或 .xlsx，按文件后缀）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="输出文件（.json 或 .xlsx）")
        parser.add_argument("--authority", default=None, metavar="区划代码",
                            help="只导出该县（6 位）或市（4 位）的事项；空字符串为全网共用的事项；省略则导出全部")

    def handle(self, *args, **o):
        path = Path(o["file"])
        if path.suffix.lower() not in (".json", ".xlsx"):
            raise CommandError(f"不支持的文件类型“{path.suffix or '无后缀'}”，请用 .json 或 .xlsx。")
        if not path.parent.is_dir():
            raise CommandError(f"目录“{path.parent}”不存在。")
        owner = o["authority"]
        if owner is not None and not authority.is_valid(owner):
            raise CommandError(f"区划代码“{owner}”不对：应为 6 位县级或 4 位市级代码，或空字符串（全网共用）。")
        items = None if owner is None else StandardItem.objects.filter(authority=owner)
        count = export(path, current_records(items))
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 项标准事项到 {path}"))
