from django.core.management.base import BaseCommand, CommandError

from cases.demo import load_demo_cases
from online.demo import load_demo_online
from standards.demo import load_demo_catalogue
from tenants.demo import NotTheDemo, demo_county_code, ensure_demo_settings, load_demo_network


class Command(BaseCommand):
    help = "建立虚构的云溪县服务网络（已存在的服务点跳过）；只在演示环境中运行（DEBUG=1、YIMEN_DEMO=1）"

    def handle(self, *args, **options):
        def progress(line: str) -> None:
            self.stdout.write(f"[yimen] {line}")

        try:
            ensure_demo_settings()  # before anything is written
        except NotTheDemo as refusal:
            raise CommandError(str(refusal)) from refusal
        # The catalogue first: points adopt the items of their tier when onboarded.
        # It is the demo county's own, so its central admins edit it (one county per demo cell).
        load_demo_catalogue(progress, owner=demo_county_code())
        created = load_demo_network(progress=progress)
        # Cases in every status at every tier, played through the case services (once).
        load_demo_cases(progress)
        # Citizens online: accounts, online applications, electronic results, ratings (once).
        load_demo_online(progress)
        self.stdout.write(f"[yimen] 演示网络就绪（本次新建 {len(created)} 个服务点）。")
