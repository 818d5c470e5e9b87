"""manage.py delete_point <slug> --confirm <slug>: drop a point's schema, shared rows and files."""
from django.core.management.base import BaseCommand, CommandError

from tenants.archive.errors import ArchiveError
from tenants.deletion import delete_point


class Command(BaseCommand):
    help = "删除一个服务点：schema、公共表中属于它的数据和上传文件。不可撤销，请先 export_point。"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--confirm", required=True, help="再输入一次服务点标识，确认删除")

    def handle(self, *args, **options):
        if options["confirm"] != options["slug"]:
            raise CommandError("--confirm 与服务点标识不一致，未删除任何数据。")
        try:
            delete_point(options["slug"], log=self.stdout.write)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
