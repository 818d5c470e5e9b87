"""电子监察, in the public schema: the network's warning rules (versioned) and the
warnings the monitor raises on cases.

A county's rules are one `RuleSet` row per version: a new version supersedes
the last, old ones are kept, and every `Warning` points at the version that
raised it. A warning is unique per (case, rule, colour, anchor) — the anchor
names the occurrence (the due date, the handoff, the fee event …) — so a
monitor that runs twice, or is killed and re-run, raises it once: the
database says so, not a check before the insert. Its history (raised, seen,
explained, cleared) is also written into the case's hash chain (cases.services).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.scope import PointOwnedQuerySet


class Rule(models.TextChoices):
    DUE = "due", "办结时限"
    NOTIFY = "notify", "补正/不予受理告知期限"
    HANDOFF = "handoff", "转办未接收"
    FEE = "fee", "不收费事项收费"
    REOPENED = "reopened", "办结后又有办理"


class Colour(models.TextChoices):
    YELLOW = "yellow", "黄牌"
    RED = "red", "红牌"


class RuleSetQuerySet(PointOwnedQuerySet):
    point_field = "county"


class RuleSet(models.Model):
    """One version of a county network's warning rules (supervision.rules checks them as a whole)."""

    county = models.ForeignKey("tenants.ServicePoint", verbose_name="县级服务网络", on_delete=models.CASCADE,
                               related_name="+")
    version = models.PositiveIntegerField("版本")
    due_yellow_days = models.PositiveSmallIntegerField("办结期限前几个工作日亮黄牌", default=1)
    due_red_overdue_days = models.PositiveSmallIntegerField("超过办结期限几个工作日亮红牌", default=1)
    notify_yellow_days = models.PositiveSmallIntegerField("告知期限前几个工作日亮黄牌", default=1)
    handoff_yellow_hours = models.PositiveSmallIntegerField("转办后几个工作小时未接收亮黄牌", default=4)
    handoff_red_hours = models.PositiveSmallIntegerField("转办后几个工作小时未接收亮红牌", default=8)
    note = models.CharField("修订说明", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("生效时间", auto_now_add=True)

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = "监察规则版本"
        ordering = ["county", "-version"]
        constraints = [models.UniqueConstraint(fields=["county", "version"], name="ruleset_county_version")]

    def __str__(self) -> str:
        return f"{self.county_id} 第 {self.version} 版"


class WarningQuerySet(PointOwnedQuerySet):
    point_field = "point"

    def active(self):
        return self.filter(cleared_at__isnull=True)


class Warning(models.Model):
    case = models.ForeignKey("cases.Case", verbose_name="办件", on_delete=models.PROTECT, related_name="warnings")
    # The point that must act (the case's holder, or the point a handoff waits at) when it was raised.
    point = models.ForeignKey("tenants.ServicePoint", verbose_name="责任服务点", on_delete=models.PROTECT,
                              related_name="+")
    rule = models.CharField("规则", max_length=12, choices=Rule.choices)
    colour = models.CharField("颜色", max_length=6, choices=Colour.choices)
    # Which occurrence: the due date, the notify-by date, the handoff id, the fee or reopening event's seq.
    anchor = models.CharField(max_length=40)
    rule_set = models.ForeignKey(RuleSet, verbose_name="规则版本", on_delete=models.PROTECT, related_name="warnings")
    reason = models.CharField("预警内容", max_length=300)
    raised_at = models.DateTimeField("预警时间")
    seen_at = models.DateTimeField("已阅时间", null=True, blank=True)
    seen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    explanation = models.TextField("情况说明", blank=True)
    explained_at = models.DateTimeField("说明时间", null=True, blank=True)
    explained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    cleared_at = models.DateTimeField("解除时间", null=True, blank=True)
    cleared_reason = models.CharField("解除原因", max_length=200, blank=True)

    objects = WarningQuerySet.as_manager()

    class Meta:
        verbose_name = "监察预警"
        verbose_name_plural = "监察预警"
        ordering = ["-raised_at"]
        constraints = [models.UniqueConstraint(fields=["case", "rule", "colour", "anchor"], name="warning_once")]
        indexes = [models.Index(fields=["point", "cleared_at"], name="warning_point_open")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_rule_display()} {self.get_colour_display()}"
