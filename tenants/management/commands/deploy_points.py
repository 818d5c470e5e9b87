"""Migrate the public schema (when it lacks a migration), refresh the onboarding
template, then bring every point up to date (skipping those with nothing
pending, the rest in parallel)."""
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants.deploy import deploy_points, public_pending
from tenants.schema_template import ensure_template


class Command(BaseCommand):
    help = "部署：迁移公共 schema、刷新服务点模板、并行迁移有待执行迁移的服务点"

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=None, help="并行进程数")

    def handle(self, *args, **options):
        started = time.monotonic()

        def say(line: str) -> None:
            self.stdout.write(f"[yimen {time.monotonic() - started:6.1f}s] {line}")

        if public_pending():
            say("迁移公共 schema …")
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        else:
            say("公共 schema 无待执行迁移，跳过。")
        say("检查服务点模板 …")
        ensure_template(stdout=self.stdout)
        report = deploy_points(processes=options["processes"], progress=say)
        say(
            f"服务点 {report.points} 个：无需迁移 {report.up_to_date}，"
            f"SQL 重放 {report.replayed}，迁移 {report.migrated}，失败 {len(report.failed)}。")
        if report.failed:
            for schema, error in report.failed.items():
                self.stderr.write(f"  {schema}: {error}")
            raise CommandError("部分服务点迁移失败，见上。")
