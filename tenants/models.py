"""Service points (tenants), their domains and the role groups of their staff.

The hierarchy is county → township → village, and county → park. Region codes
are 12 digits (county 6 + township 3 + village 3) and onboarding keeps them
consistent with the parent, so ancestors and descendants are prefix queries:
one query whatever the depth.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tier(models.TextChoices):
    COUNTY = "county", "县级"
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "村（社区）"
    PARK = "park", "园区"


# Which tier a point's parent must have.
PARENT_TIER: dict[str, str | None] = {
    Tier.COUNTY: None,
    Tier.TOWNSHIP: Tier.COUNTY,
    Tier.PARK: Tier.COUNTY,
    Tier.VILLAGE: Tier.TOWNSHIP,
}


class PointStatus(models.TextChoices):
    ONBOARDING = "onboarding", "建设中"
    ACTIVE = "active", "运行中"
    SUSPENDED = "suspended", "已暂停"


class ServicePointQuerySet(models.QuerySet):
    def real(self):
        """Service points only (not the public schema's pseudo-tenant)."""
        return self.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)


class ServicePoint(TenantMixin):
    name = models.CharField("名称", max_length=100)
    slug = models.SlugField("标识", max_length=50, unique=True, help_text="小写字母、数字和连字符，用作子域名")
    tier = models.CharField("层级", max_length=10, choices=Tier.choices)
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    region_code = models.CharField("区划代码", max_length=12, unique=True)
    address = models.CharField("地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    hours = models.CharField("办公时间", max_length=200, blank=True)
    status = models.CharField("状态", max_length=12, choices=PointStatus.choices,
                              default=PointStatus.ONBOARDING)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    # Schemas are created by tenants.onboarding from a migrated template, not by
    # django-tenants on save(); and never dropped automatically.
    auto_create_schema = False
    auto_drop_schema = False

    objects = ServicePointQuerySet.as_manager()

    class Meta:
        verbose_name = "服务点"
        verbose_name_plural = "服务点"
        ordering = ["region_code"]

    def __str__(self) -> str:
        return self.name

    # --- hierarchy: one query each, by region-code prefix -------------------
    # Region codes have 12 digits; `*_region_code` are 12-digit codes, while
    # `county_code` is the 6-digit code that names a county network (the
    # prefix every point of the network shares). tenants.scope uses these.
    @property
    def county_code(self) -> str:
        return self.region_code[:6]

    @property
    def county_region_code(self) -> str:
        return self.county_code + "0" * 6

    @property
    def township_region_code(self) -> str:
        return self.region_code[:9] + "0" * 3

    def ancestors(self) -> models.QuerySet[ServicePoint]:
        """The points above this one, nearest last (county first)."""
        codes = {self.county_region_code, self.township_region_code} - {self.region_code}
        return ServicePoint.objects.filter(region_code__in=codes).order_by("region_code")

    def descendants(self) -> models.QuerySet[ServicePoint]:
        prefixes: dict[str, int] = {Tier.COUNTY: 6, Tier.TOWNSHIP: 9, Tier.PARK: 9}
        prefix = prefixes.get(self.tier)
        if prefix is None:
            return ServicePoint.objects.none()
        return ServicePoint.objects.filter(region_code__startswith=self.region_code[:prefix]).exclude(pk=self.pk)

    def network(self) -> models.QuerySet[ServicePoint]:
        """Every point of this point's county network, itself included."""
        return ServicePoint.objects.filter(region_code__startswith=self.county_code)

    @property
    def primary_host(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}"


class Domain(DomainMixin):
    class Meta:
        verbose_name = "域名"
        verbose_name_plural = "域名"


class Role(models.TextChoices):
    ADMIN = "admin", "管理员"
    EDITOR = "editor", "编辑"
    CLERK = "clerk", "窗口人员"
    SUPERVISOR = "supervisor", "督查员"
    CENTRAL_ADMIN = "central_admin", "中心管理员"


# Roles whose holders may act in every point below their own.
ROLES_REACHING_DOWN = (Role.ADMIN, Role.SUPERVISOR, Role.CENTRAL_ADMIN)


class PointGroup(models.Model):
    """The auth group that holds one role at one point.

    Group membership (auth_user_groups) is the single record of who holds
    which role where. Groups are global rows, so what a group grants is
    scoped by tenants.auth.PointRoleBackend to the point it belongs to (and,
    for ROLES_REACHING_DOWN, the points below it).
    """

    point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="role_groups")
    role = models.CharField(max_length=20, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="point_group")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["point", "role"], name="one_group_per_point_role")]

    def __str__(self) -> str:
        return f"{self.point} · {self.get_role_display()}"


class SchemaTemplate(models.Model):
    """The SQL that builds a tenant schema, dumped from a schema built by migrations.

    `fingerprint` names the set of tenant migrations it contains; a new
    migration makes a new fingerprint and the template is rebuilt.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    sql = models.TextField()
    # Django's own SQL for partial indexes, carried into the next template.
    partial_indexes = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"schema template {self.fingerprint[:12]}"
