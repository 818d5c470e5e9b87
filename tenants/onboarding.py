"""Onboarding a service point: one transaction that makes everything or nothing.

The point row, its domain, its role groups, its schema (from the migrated
template), its Wagtail site and home page and its first admin are created
together. Any failure, even half-way, rolls all of it back: PostgreSQL DDL is
transactional, so no half-made schema or orphan domain is left behind.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from . import roles
from .hooks import point_schema_created
from .models import PARENT_TIER, Domain, PointStatus, Role, ServicePoint, Tier
from .schema_template import create_schema_from_template, ensure_template

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")


class OnboardingError(Exception):
    """Bad input: `errors` maps each field to its messages in Chinese."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("；".join(f"{f}: {'，'.join(m)}" for f, m in errors.items()))


@dataclass
class AdminSpec:
    username: str
    password: str | None = None  # None: an existing account gets the role
    full_name: str = ""


@dataclass
class PointSpec:
    name: str
    slug: str
    tier: str
    region_code: str
    parent_slug: str | None = None
    address: str = ""
    latitude: Decimal | float | None = None
    longitude: Decimal | float | None = None
    phone: str = ""
    hours: str = ""
    admin: AdminSpec | None = None


def schema_name_for(slug: str) -> str:
    # Slugs are DNS labels (no underscore), so this mapping never collides.
    return "p_" + slug.replace("-", "_")


def validate(spec: PointSpec) -> ServicePoint | None:
    """Check everything we can before writing; returns the parent point."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not spec.name.strip():
        err("name", "请填写服务点名称。")
    if not SLUG_RE.match(spec.slug or ""):
        err("slug", "标识只能由小写字母、数字和连字符组成（2～50 个字符，不以连字符开头或结尾）。")
    elif ServicePoint.objects.filter(slug=spec.slug).exists():
        err("slug", f"标识“{spec.slug}”已被其他服务点使用。")
    if spec.tier not in Tier.values:
        err("tier", "层级只能是县级、乡镇（街道）、村（社区）或园区。")
    code = spec.region_code or ""
    if not re.fullmatch(r"\d{12}", code):
        err("region_code", "区划代码应为 12 位数字。")
    elif ServicePoint.objects.filter(region_code=code).exists():
        err("region_code", f"区划代码 {code} 已被其他服务点使用。")

    parent = None
    expected_parent_tier = PARENT_TIER.get(spec.tier) if spec.tier in Tier.values else None
    if spec.parent_slug:
        parent = ServicePoint.objects.filter(slug=spec.parent_slug).first()
        if parent is None:
            err("parent", f"上级服务点“{spec.parent_slug}”不存在。")
    if spec.tier in Tier.values:
        if expected_parent_tier is None and parent is not None:
            err("parent", "县级服务点没有上级。")
        elif expected_parent_tier is not None and parent is None and "parent" not in errors:
            err("parent", f"{Tier(spec.tier).label}服务点必须有{Tier(expected_parent_tier).label}上级。")
        elif parent is not None and expected_parent_tier and parent.tier != expected_parent_tier:
            err("parent", f"{Tier(spec.tier).label}服务点的上级必须是{Tier(expected_parent_tier).label}，"
                          f"而“{parent.name}”是{parent.get_tier_display()}。")
    if "region_code" not in errors and spec.tier in Tier.values and "parent" not in errors:
        message = region_code_problem(spec.tier, code, parent)
        if message:
            err("region_code", message)

    for name, value, low, high in (("latitude", spec.latitude, -90, 90), ("longitude", spec.longitude, -180, 180)):
        if value is not None and not (low <= float(value) <= high):
            err(name, f"{'纬度' if name == 'latitude' else '经度'}应在 {low} 到 {high} 之间。")

    if spec.admin is not None:
        _validate_admin(spec.admin, err)
    if errors:
        raise OnboardingError(errors)
    return parent


def region_code_problem(tier: str, code: str, parent: ServicePoint | None) -> str | None:
    county, township, village = code[:6], code[6:9], code[9:]
    if tier == Tier.COUNTY:
        return None if township == "000" and village == "000" else "县级区划代码后 6 位应为 0。"
    assert parent is not None
    if tier in (Tier.TOWNSHIP, Tier.PARK):
        if county != parent.county_code:
            return f"区划代码前 6 位应与上级县 {parent.county_code} 一致。"
        if township == "000" or village != "000":
            return "乡镇（街道）或园区的区划代码第 7～9 位不能为 000，后 3 位应为 000。"
        if tier == Tier.PARK and int(township) < 400:
            return "园区（开发区）的乡级码段应从 400 起。"
        if tier == Tier.TOWNSHIP and int(township) >= 400:
            return "乡镇（街道）的乡级码段应小于 400（400 起为园区）。"
        return None
    if code[:9] != parent.region_code[:9]:
        return f"区划代码前 9 位应与上级乡镇（街道）{parent.region_code[:9]} 一致。"
    if village == "000":
        return "村（社区）区划代码后 3 位不能为 000。"
    return None


def _validate_admin(admin: AdminSpec, err) -> None:
    User = get_user_model()
    exists = User.objects.filter(username=admin.username).exists()
    if not admin.username:
        err("admin_username", "请填写首位管理员的用户名。")
    elif admin.password is None and not exists:
        err("admin_username", f"用户“{admin.username}”不存在；新建用户请同时填写密码。")
    elif admin.password is not None and exists:
        err("admin_username", f"用户名“{admin.username}”已被使用；如要授权已有用户，请不要填写密码。")
    elif admin.password is not None:
        try:
            # The unsaved account, so that a password like the username is refused too.
            validate_password(admin.password, user=User(username=admin.username, first_name=admin.full_name))
        except ValidationError as exc:
            for message in exc.messages:
                err("admin_password", message)


def onboard_point(spec: PointSpec) -> ServicePoint:
    # Shared rows are written from the public schema, whichever point's admin asked.
    with schema_context(get_public_schema_name()):
        parent = validate(spec)  # first: bad input (a weak password too) makes nothing at all
        ensure_template()  # outside the transaction: rebuilding it runs migrations
        try:
            return _create(spec, parent)
        except IntegrityError:
            # Someone took the slug, code or username between our checks and
            # our insert: report it as the checks would have.
            validate(spec)
            raise OnboardingError({"slug": ["保存时与其他操作冲突，请重试。"]}) from None


def _create(spec: PointSpec, parent: ServicePoint | None) -> ServicePoint:
    with transaction.atomic():
        point = ServicePoint.objects.create(
            schema_name=schema_name_for(spec.slug), name=spec.name.strip(), slug=spec.slug,
            tier=spec.tier, parent=parent, region_code=spec.region_code,
            address=spec.address, latitude=spec.latitude, longitude=spec.longitude,
            phone=spec.phone, hours=spec.hours, status=PointStatus.ONBOARDING,
        )
        Domain.objects.create(domain=point.primary_host, tenant=point, is_primary=True)
        roles.create_role_groups(point)
        create_schema_from_template(point.schema_name)
        with tenant_context(point):
            point_schema_created.send(sender=ServicePoint, point=point)
        if spec.admin is not None:
            roles.grant_role(_admin_user(spec.admin), point, Role.ADMIN)
        point.status = PointStatus.ACTIVE
        point.save(update_fields=["status"])
    return point


def _admin_user(admin: AdminSpec):
    User = get_user_model()
    if admin.password is None:
        return User.objects.get(username=admin.username)
    user = User(username=admin.username, first_name=admin.full_name)
    user.set_password(admin.password)
    user.save()
    return user
