"""The operator's way to one authority's synonym table, above all the shared
one, which no county may edit in the admin (standards/authority.py)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from search import synonyms
from standards import authority


class Command(BaseCommand):
    help = "查看或替换一张同义词表：默认为全辖区共用的表（各县只读），--authority 指定县级或市级的表"

    def add_arguments(self, parser):
        parser.add_argument("--authority", default="", metavar="区划代码",
                            help="县级 6 位或市级 4 位区划代码；不填为全辖区共用")
        parser.add_argument("--replace", metavar="文件", help="用该文本文件（一行一组）替换整张表；不填则打印现有的表")

    def handle(self, *args, **o):
        owner = o["authority"].strip()
        if not authority.is_valid(owner):
            raise CommandError(f"--authority “{owner}”应为 6 位（县级）或 4 位（市级）区划代码，或不填（全辖区共用）。")
        if not o["replace"]:
            self.stdout.write(synonyms.as_text(owner))
            return
        path = Path(o["replace"])
        if not path.is_file():
            raise CommandError(f"文件“{path}”不存在。")
        try:
            count = synonyms.replace_all(path.read_text("utf-8"), owner)
        except synonyms.SynonymError as exc:
            raise CommandError("未保存：\n" + "\n".join(exc.problems)) from None
        self.stdout.write(self.style.SUCCESS(f"{authority.label(owner)}的同义词表已替换为 {count} 组。"))
