from django.core.management.base import BaseCommand

from tenants.demo import load_demo_network


class Command(BaseCommand):
    help = "建立虚构的云溪县服务网络（已存在的服务点跳过）"

    def handle(self, *args, **options):
        created = load_demo_network(progress=lambda line: self.stdout.write(f"[yimen] {line}"))
        self.stdout.write(f"[yimen] 演示网络就绪（本次新建 {len(created)} 个服务点）。")
