"""Give a person a role at a point (or take it away)."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tenants import roles
from tenants.models import Role, ServicePoint


class Command(BaseCommand):
    help = "授予（或撤销）某人在某服务点的岗位"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("point", help="服务点标识（slug）")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--revoke", action="store_true", help="撤销而不是授予")

    def handle(self, *args, **o):
        user = get_user_model().objects.filter(username=o["username"]).first()
        point = ServicePoint.objects.filter(slug=o["point"]).first()
        if user is None:
            raise CommandError(f"用户“{o['username']}”不存在。")
        if point is None:
            raise CommandError(f"服务点“{o['point']}”不存在。")
        try:
            (roles.revoke_role if o["revoke"] else roles.grant_role)(user, point, o["role"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        done = "撤销" if o["revoke"] else "授予"
        label = Role(o["role"]).label
        self.stdout.write(self.style.SUCCESS(f"已{done} {user.username} 在 {point.name} 的“{label}”岗位。"))
