"""Recompute every statistics rollup from the cases' events and ratings."""
from django.core.management.base import BaseCommand

from stats import rollup


class Command(BaseCommand):
    help = "从办件事件和评价重新计算全部统计汇总（增量汇总在此期间等待）。"

    def handle(self, *args, **options):
        def progress(line: str) -> None:
            if options["verbosity"]:
                self.stdout.write(f"  {line}")

        rows = rollup.rebuild(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"统计汇总已重建：{rows} 行写入。"))
