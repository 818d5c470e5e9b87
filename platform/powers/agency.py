"""全程代办: investment projects a park's agents (代办员) carry for enterprises,
from registration to the construction permit, each step a milestone held to
the county's time standard in working days.

Models only (public schema, imported at the end of powers.models so Django
finds them). Their one writer is cases.agency: a milestone's due date is
counted on the county's working-day calendar (cases.workdays), which powers,
below cases, may not read.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.scope import PointOwnedQuerySet

# The county's time standards for the milestones of an investment project
# (key, name, working days): what the park's agents are held to.
TIME_STANDARDS = [
    ("filing", "企业投资项目备案", 1),
    ("business", "企业开办", 2),
    ("property", "不动产登记", 3),
    ("land_planning", "建设用地规划许可", 5),
    ("works_planning", "建设工程规划许可", 10),
    ("construction", "工业项目施工许可", 45),
    ("acceptance", "竣工联合验收", 12),
]
STANDARD_DAYS = {key: days for key, _, days in TIME_STANDARDS}
STANDARD_NAMES = {key: name for key, name, _ in TIME_STANDARDS}


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", "代办中"
    DONE = "done", "已办结"
    PAUSED = "paused", "暂停（企业原因）"


class AgencyProjectQuerySet(PointOwnedQuerySet):
    point_field = "park"


class AgencyProject(models.Model):
    park = models.ForeignKey("tenants.ServicePoint", verbose_name="园区", on_delete=models.PROTECT,
                             related_name="+")
    name = models.CharField("项目名称", max_length=100)
    enterprise_name = models.CharField("企业名称", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="代办员", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    agent_name = models.CharField("代办员姓名", max_length=50)
    investment = models.DecimalField("总投资（万元）", max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    started_on = models.DateField("签约代办日期")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgencyProjectQuerySet.as_manager()  # reads go through tenants.scope

    class Meta:
        verbose_name = "全程代办项目"
        verbose_name_plural = "全程代办项目"
        ordering = ["-started_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.name}（{self.enterprise_name}）"


class Milestone(models.Model):
    """One approval on the project's way: not started, running against its due
    date (started + the standard's working days), or done."""

    project = models.ForeignKey(AgencyProject, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField("顺序")
    kind = models.CharField("环节", max_length=20, choices=[(k, n) for k, n, _ in TIME_STANDARDS])
    standard_days = models.PositiveSmallIntegerField("县定时限（工作日）")
    started_on = models.DateField("开始办理日期", null=True, blank=True)
    due_on = models.DateField("应办结日期", null=True, blank=True)
    done_on = models.DateField("办结日期", null=True, blank=True)
    case_number = models.CharField("办件编号", max_length=40, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "代办节点"
        verbose_name_plural = "代办节点"
        ordering = ["project", "order"]
        constraints = [models.UniqueConstraint(fields=["project", "order"], name="agency_milestone_order")]

    def __str__(self) -> str:
        return f"{self.project_id}#{self.order} {self.get_kind_display()}"
