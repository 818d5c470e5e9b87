"""manage.py export_point <slug> [-o FILE]: one point's schema, shared rows and files in one signed archive."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tenants.archive.errors import ArchiveError
from tenants.archive.export import export_point
from tenants.archive.format import verify_archive


class Command(BaseCommand):
    help = "导出一个服务点（schema、公共表中属于它的数据、上传文件），并校验导出文件。"

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="服务点标识")
        parser.add_argument("-o", "--output", help="导出文件路径（默认 <slug>-<时间>.tar.gz）")
        parser.add_argument("--verify", metavar="FILE", help="只校验一个已有的导出文件")

    def handle(self, *args, **options):
        try:
            if options["verify"]:
                manifest = verify_archive(Path(options["verify"]))
                point = manifest["point"]
                self.stdout.write(self.style.SUCCESS(
                    f"导出文件完好（签名有效）：{point['name']}（{point['schema']}），"
                    f"导出于 {manifest['exported_at']}，"
                    f"{len(manifest['tables'])} 张表，{len(manifest['media'])} 个文件。"))
                return
            if not options["slug"]:
                raise CommandError("请给出服务点标识，或用 --verify FILE 校验导出文件。")
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            output = Path(options["output"] or f"{options['slug']}-{stamp}.tar.gz")
            export_point(options["slug"], output, log=self.stdout.write)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
