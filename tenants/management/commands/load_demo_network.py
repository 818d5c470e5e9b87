from django.core.management.base import BaseCommand, CommandError

from tenants.demo import NotTheDemo, load_demo_network


class Command(BaseCommand):
    help = "建立虚构的云溪县服务网络（已存在的服务点跳过）；只在演示环境中运行（DEBUG=1、YIMEN_DEMO=1）"

    def handle(self, *args, **options):
        try:
            created = load_demo_network(progress=lambda line: self.stdout.write(f"[yimen] {line}"))
        except NotTheDemo as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(f"[yimen] 演示网络就绪（本次新建 {len(created)} 个服务点）。")
