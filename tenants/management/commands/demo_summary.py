from django.core.management.base import BaseCommand

from tenants.demo import DEMO_LOGINS, DEMO_PASSWORD
from tenants.models import ServicePoint


class Command(BaseCommand):
    help = "打印演示网址和演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **o):
        port = o["port"]
        w = self.stdout.write
        w(f"\n服务网络总览：http://localhost:{port}/")
        for point in ServicePoint.objects.real():
            w(f"  {point.get_tier_display():<8} {point.name:<20} http://{point.primary_host}:{port}/")
        w(f"\n演示账号（密码均为 {DEMO_PASSWORD}，在所属服务点的 /admin/ 登录）：")
        for username, slug, _, label in DEMO_LOGINS:
            w(f"  {username:<16} {label}  http://{slug}.localhost:{port}/admin/")
        # The citizens' demo accounts (online.demo.PEOPLE; tenants sits below online, so spelled here).
        w(f"\n网上办事（居民账号，短信验证码打印在本控制台）：http://localhost:{port}/login/")
        w("  13800138000  林晓梅（已实名；办件含申请待收件、电子证照已评价）")
        w("  13800138001  欧阳建华（已实名；办件含补正待上传、已撤销的电子证照、差评整改）")
