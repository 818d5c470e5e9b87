"""Check the hash chain of every case (or the ones named) and name the first broken link."""
from django.core.management.base import BaseCommand, CommandError

from cases import history
from cases.models import Case


class Command(BaseCommand):
    help = "核对办件事件链（全部办件或指定办件编号），报告第一个断开的环节。"

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", metavar="CASE", help="办件编号；不填则核对全部办件")

    def handle(self, *args, **options):
        # argparse puts the positional CASEs in options["numbers"], not in *args.
        numbers = options["numbers"]
        cases = Case.objects.order_by("id")
        if numbers:
            cases = cases.filter(number__in=numbers)
            unknown = sorted(set(numbers) - set(cases.values_list("number", flat=True)))
            if unknown:
                raise CommandError(f"没有这些办件：{'、'.join(unknown)}")
        total = cases.count()
        broken = []
        for n, case in enumerate(cases.iterator(chunk_size=500), start=1):
            link = history.verify(case)
            if link is not None:
                broken.append(link)
                self.stderr.write(f"断开：{link}")
            if n % 1000 == 0 or n == total:
                self.stdout.write(f"已核对 {n}/{total} 件")
        if broken:
            raise CommandError(f"{len(broken)} 件办件的事件链断开（见上）。")
        self.stdout.write(self.style.SUCCESS(f"{total} 件办件的事件链完整。"))
