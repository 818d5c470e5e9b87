"""Power grants (赋权强园), in the public schema.

A county department delegates the stages (受理, 审查, 决定) of some standard
items to a park point, for the enterprises in the park (their unified social
credit codes) or the park's registration region codes, under a legal
instrument (委托书) and with the park's approval seal (审批专用章), for a
period. Only `powers.services` writes grants; every change is one
`GrantEvent` (append-only: a trigger refuses UPDATE and DELETE, migration
0002), so a revoked grant keeps its whole history. Routing reads grants
through `powers.lookup`.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.files.storage import storages
from django.db import models


def private_files():
    """The legal instrument and the seal image sit with applicants' files: never served as media."""
    return storages["applicant_files"]


def instrument_path(grant, filename: str) -> str:
    return f"powers/{grant.grantor_id}/instruments/{filename}"


def seal_path(grant, filename: str) -> str:
    return f"powers/{grant.grantor_id}/seals/{filename}"


class Stage(models.TextChoices):
    ACCEPT = "accept", "受理"
    REVIEW = "review", "审查"
    DECIDE = "decide", "决定"


ALL_STAGES = [Stage.ACCEPT.value, Stage.REVIEW.value, Stage.DECIDE.value]


class GrantStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "生效"
    SUSPENDED = "suspended", "暂停"
    REVOKED = "revoked", "已撤销"
    EXPIRED = "expired", "已到期"


# A grant in these may still (again) send cases to the park: overlaps are checked against them.
LIVE = (GrantStatus.ACTIVE, GrantStatus.SUSPENDED)
ENDED = (GrantStatus.REVOKED, GrantStatus.EXPIRED)


class OnEnd(models.TextChoices):
    FINISH = "finish", "在园区办结"
    RETURN = "return", "退回县级部门办理"


class ScopeKind(models.TextChoices):
    ENTERPRISES = "enterprises", "园区企业名单（统一社会信用代码）"
    REGIONS = "regions", "园区登记区划"


class PowerGrantQuerySet(models.QuerySet):
    def of_grantor(self, point):
        return self.filter(grantor=point)

    def of_grantee(self, point):
        return self.filter(grantee=point)

    def effective(self, on):
        """Grants that send cases to their park on the day `on`."""
        return self.filter(status=GrantStatus.ACTIVE, valid_from__lte=on, valid_to__gte=on)


class PowerGrant(models.Model):
    title = models.CharField("赋权名称", max_length=100, blank=True)
    grantor = models.ForeignKey("tenants.ServicePoint", verbose_name="赋权县级服务点", on_delete=models.PROTECT,
                                related_name="powers_granted")
    department = models.CharField("赋权部门", max_length=50)
    grantee = models.ForeignKey("tenants.ServicePoint", verbose_name="承接园区", on_delete=models.PROTECT,
                                related_name="powers_received")
    items = models.ManyToManyField("standards.StandardItem", verbose_name="赋权事项", related_name="power_grants")
    stages = ArrayField(models.CharField(max_length=10, choices=Stage.choices), verbose_name="委托环节",
                        default=list)

    scope_kind = models.CharField("适用范围", max_length=12, choices=ScopeKind.choices,
                                  default=ScopeKind.ENTERPRISES)
    credit_codes = ArrayField(models.CharField(max_length=18), verbose_name="园区企业统一社会信用代码",
                              default=list, blank=True)
    # 6-digit registration region codes (the 3rd–8th characters of a credit code).
    region_codes = ArrayField(models.CharField(max_length=6), verbose_name="园区登记区划代码",
                              default=list, blank=True)

    instrument_number = models.CharField("委托书文号", max_length=100)
    instrument_date = models.DateField("委托书日期")
    instrument_file = models.FileField("委托书文件", upload_to=instrument_path, storage=private_files,
                                       max_length=200, blank=True)
    notice_url = models.URLField("公告网址", max_length=300, blank=True)
    seal_name = models.CharField("审批专用章名称", max_length=100)
    seal_image = models.FileField("审批专用章图片", upload_to=seal_path, storage=private_files,
                                  max_length=200, blank=True)

    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("截止日期")
    status = models.CharField("状态", max_length=10, choices=GrantStatus.choices, default=GrantStatus.DRAFT)
    on_end = models.CharField("终止时在办件", max_length=10, choices=OnEnd.choices, default=OnEnd.FINISH)
    confirm_by_county = models.BooleanField("县级部门见章盖章", default=False)

    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="起草人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批准生效人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField("生效操作时间", null=True, blank=True)
    # When grant_started was sent (the grant began to route cases); None while it has not.
    started_at = models.DateTimeField("开始生效时间", null=True, blank=True)
    ended_at = models.DateTimeField("终止时间", null=True, blank=True)
    end_reason = models.CharField("终止/暂停理由", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PowerGrantQuerySet.as_manager()

    class Meta:
        verbose_name = "赋权"
        verbose_name_plural = "赋权强园"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "valid_to"], name="grant_status_valid_to"),
            models.Index(fields=["grantee", "status"], name="grant_grantee_status"),
            GinIndex(fields=["credit_codes"], name="grant_credit_codes_gin"),
            GinIndex(fields=["region_codes"], name="grant_region_codes_gin"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_to__gte=models.F("valid_from")),
                                   name="grant_valid_to_after_from"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.department}赋权{self.grantee.name}（{self.instrument_number}）"

    @property
    def stage_labels(self) -> list[str]:
        return [Stage(s).label for s in ALL_STAGES if s in self.stages]

    @property
    def decides(self) -> bool:
        """The park takes the 决定 itself (else it accepts or reviews and the county decides)."""
        return Stage.DECIDE in self.stages


class GrantEvent(models.Model):
    """One change of a grant: who, when, what (before → after). Append-only."""

    grant = models.ForeignKey(PowerGrant, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("操作", max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField("操作人", max_length=150)
    point = models.ForeignKey("tenants.ServicePoint", verbose_name="操作服务点", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间")
    changes = models.JSONField("变更", default=dict)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "赋权记录"
        verbose_name_plural = "赋权记录"
        ordering = ["grant", "seq"]
        constraints = [models.UniqueConstraint(fields=["grant", "seq"], name="grant_event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.grant_id}#{self.seq} {self.action}"


class GrantReminder(models.Model):
    """到期提醒: 30 and 7 days before a grant ends, once each (the unique key), to both sides."""

    grant = models.ForeignKey(PowerGrant, on_delete=models.PROTECT, related_name="reminders")
    key = models.CharField(max_length=80, unique=True)
    days_before = models.PositiveSmallIntegerField("提前天数")
    message = models.CharField("提醒内容", max_length=300)
    created_at = models.DateTimeField("提醒时间", auto_now_add=True)
    mailed_to = ArrayField(models.CharField(max_length=254), verbose_name="已发邮件", default=list, blank=True)

    class Meta:
        verbose_name = "赋权到期提醒"
        verbose_name_plural = "赋权到期提醒"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message


# 全程代办 (a park's agents carrying investment projects): its own module, found here by Django.
from .agency import AgencyProject, Milestone  # noqa: E402,F401
