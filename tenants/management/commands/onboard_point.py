"""Onboard one service point from the command line."""
from django.core.management.base import BaseCommand, CommandError

from tenants.onboarding import AdminSpec, OnboardingError, PointSpec, onboard_point


class Command(BaseCommand):
    help = "新建服务点（schema、域名、网站、首页、首位管理员）"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--tier", required=True, choices=["county", "township", "village", "park"])
        parser.add_argument("--region-code", required=True)
        parser.add_argument("--parent")
        parser.add_argument("--address", default="")
        parser.add_argument("--lat", type=float)
        parser.add_argument("--lng", type=float)
        parser.add_argument("--phone", default="")
        parser.add_argument("--hours", default="")
        parser.add_argument("--admin", help="首位管理员用户名")
        parser.add_argument("--admin-password", help="新建管理员时的密码；不填则授权已有用户")

    def handle(self, *args, **o):
        spec = PointSpec(
            name=o["name"], slug=o["slug"], tier=o["tier"], region_code=o["region_code"],
            parent_slug=o["parent"], address=o["address"], latitude=o["lat"], longitude=o["lng"],
            phone=o["phone"], hours=o["hours"],
            admin=AdminSpec(o["admin"], o["admin_password"]) if o["admin"] else None,
        )
        try:
            point = onboard_point(spec)
        except OnboardingError as exc:
            raise CommandError("\n".join(f"{field}: {m}" for field, ms in exc.errors.items() for m in ms)) from None
        self.stdout.write(self.style.SUCCESS(f"已创建 {point.name}：http://{point.primary_host}/"))
