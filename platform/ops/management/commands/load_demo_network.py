from django.core.management.base import BaseCommand, CommandError

from cases.agency_demo import load_demo_agency
from cases.demo import load_demo_cases
from online.demo import load_demo_online
from powers.demo import load_demo_powers
from standards.demo import load_demo_catalogue
from stats.demo import load_demo_statistics
from supervision.demo import load_demo_supervision
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
        # Powers granted to the parks before any case, so routing sends the parks' enterprises there.
        load_demo_powers(progress)
        # Cases in every status at every tier, played through the case services (once).
        load_demo_cases(progress)
        # Citizens online: accounts, online applications, electronic results, ratings (once).
        load_demo_online(progress)
        # 全程代办 projects the park's agents carry, warnings of every colour, then the figures.
        load_demo_agency(progress)
        load_demo_supervision(progress)
        load_demo_statistics(progress)
        self.stdout.write(f"[yimen] 演示网络就绪（本次新建 {len(created)} 个服务点）。")
