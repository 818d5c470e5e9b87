from django.core.management.base import BaseCommand, CommandError

from search.backends.base import BackendUnavailable
from search.reindexing import reindex, reindex_entries
from tenants.models import ServicePoint


class Command(BaseCommand):
    help = "重建全部服务点的搜索文档；配置了 Elasticsearch 时新建索引并切换别名（期间搜索照常）。"

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*",
                            help="只重建这些服务点的文档（默认：全部服务点，配置了 Elasticsearch 时另建新索引）")

        parser.add_argument("--if-empty", action="store_true",
                            help="只在还没有任何搜索文档时重建（演示和首次升级用）")
        parser.add_argument("--entries", action="store_true",
                            help="只由现有文档重建 Elasticsearch 的网络条目索引（几秒；升级后用）")

    def handle(self, *args, slugs, if_empty=False, entries=False, **options):
        from search import backends
        from search.models import SearchDocument

        if entries:
            if not backends.elastic_enabled():
                raise CommandError("没有配置 Elasticsearch（ELASTICSEARCH_URL）。")
            try:
                result = reindex_entries(progress=lambda line: self.stdout.write(line))
            except BackendUnavailable as exc:
                raise CommandError(f"Elasticsearch 不可用，旧索引保持不变：{exc}") from exc
            self.stdout.write(self.style.SUCCESS(f"完成：{result['entries']} 个网络条目"))
            return

        if if_empty and SearchDocument.objects.exists():
            self.stdout.write("已有搜索文档，跳过重建。")
            return
        points = None
        if slugs:
            points = list(ServicePoint.objects.filter(slug__in=slugs).order_by("pk"))
            missing = sorted(set(slugs) - {p.slug for p in points})
            if missing:
                raise CommandError(f"没有这些服务点：{'、'.join(missing)}")
        try:
            result = reindex(progress=lambda line: self.stdout.write(line), points=points)
        except BackendUnavailable as exc:
            raise CommandError(f"Elasticsearch 不可用，旧索引保持不变：{exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"完成：{result['points']} 个服务点，{result['documents']} 个文档"))
