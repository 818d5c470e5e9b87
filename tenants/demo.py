"""The fictional 云溪县 network for the demo and tests (tenants/demo_data)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from . import roles
from .models import Role, ServicePoint
from .onboarding import PointSpec, onboard_point

NETWORK_FILE = Path(__file__).parent / "demo_data" / "demo_network.json"
DEMO_PASSWORD = "yimen-demo-2026"
# (username, point slug, role, what to show in the summary)
DEMO_LOGINS = [
    ("zhongxin", "yunxi", Role.CENTRAL_ADMIN, "县中心管理员（可进入所有下级服务点）"),
    ("shenhe", "yunxi", Role.CENTRAL_ADMIN, "县中心审核员（审核发布事项标准）"),
    ("jinxi-admin", "jinxi", Role.ADMIN, "锦溪街道管理员（可进入下属社区）"),
    ("wenchang-editor", "jinxi-wenchang", Role.EDITOR, "文昌社区编辑"),
    ("wenchang-clerk", "jinxi-wenchang", Role.CLERK, "文昌社区窗口人员（收件、转办、送达）"),
    ("jinxi-clerk", "jinxi", Role.CLERK, "锦溪街道窗口人员（接收村级转办、决定乡镇事项）"),
    ("jinxi-duban", "jinxi", Role.SUPERVISOR, "锦溪街道督查员（看本街道及下属社区的办件）"),
    ("yunxi-clerk", "yunxi", Role.CLERK, "县市民之家综合窗口（收件、统一出件）"),
    ("yunxi-mzj", "yunxi", Role.CLERK, "县民政局窗口（民政事项的受理、审查、决定）"),
    ("yunxi-duban", "yunxi", Role.SUPERVISOR, "县督查员（看全县办件）"),
    ("kfq-admin", "yunxi-kfq", Role.ADMIN, "开发区企业服务中心管理员"),
]


def network_nodes() -> list[dict]:
    return json.loads(NETWORK_FILE.read_text("utf-8"))["nodes"]


def spec_from_node(node: dict) -> PointSpec:
    return PointSpec(
        name=node["name"], slug=node["slug"], tier=node["tier"], region_code=node["region_code"],
        parent_slug=node.get("parent"), address=node.get("address", ""),
        latitude=node.get("lat"), longitude=node.get("lng"), phone=node.get("phone", ""),
        hours=node.get("hours", ""),
    )


class NotTheDemo(Exception):
    """The settings are not the demo's: its accounts would open a real network."""


def ensure_demo_settings() -> None:
    # Its accounts (central admins included) share a password printed in the
    # README: only the demo's own settings may create them. Production
    # settings force DEBUG off, so setting YIMEN_DEMO there is not enough.
    if not (settings.DEBUG and settings.YIMEN_DEMO):
        raise NotTheDemo(
            "演示网络只能在演示环境中建立：它创建的账号（含县中心管理员）使用公开的演示密码。"
            "请用 `python3 infra/yimen.py demo` 运行演示（它设置 DEBUG=1 和 YIMEN_DEMO=1）；"
            "未做任何更改。")


def demo_county_code() -> str:
    """The 6-digit code of the demo's one county network."""
    return next(node for node in network_nodes() if node["tier"] == "county")["region_code"][:6]


def load_demo_network(progress=print) -> list[ServicePoint]:
    """Onboard every node not there yet (parents first: the file is in that order).

    Points adopt the items of their tier when onboarded, so the caller loads
    the demo catalogue first (ops' load_demo_network command does both)."""
    ensure_demo_settings()
    nodes = network_nodes()
    existing = set(ServicePoint.objects.values_list("slug", flat=True))
    created = []
    for index, node in enumerate(nodes, 1):
        if node["slug"] in existing:
            continue
        started = time.perf_counter()
        created.append(onboard_point(spec_from_node(node)))
        progress(f"[{index}/{len(nodes)}] {node['name']}（{time.perf_counter() - started:.2f} 秒）")
    _ensure_demo_logins()
    return created


def _ensure_demo_logins() -> None:
    User = get_user_model()
    for username, slug, role, _ in DEMO_LOGINS:
        user, made = User.objects.get_or_create(username=username)
        if made:
            user.set_password(DEMO_PASSWORD)
            user.save()
        roles.grant_role(user, ServicePoint.objects.get(slug=slug), role)
    # The county's central admin is also the county point's admin.
    roles.grant_role(User.objects.get(username="zhongxin"), ServicePoint.objects.get(slug="yunxi"), Role.ADMIN)
