"""Statistics rollups, in the public schema, kept from the cases' events.

One `Rollup` row holds the counters of one point's SUBTREE (the point and every
point below it) for one period (a day, a month or a year) and one standard item
version (which gives the item, its department and its themes). Each event adds
to the rows of the point it belongs to and of that point's ancestors (depth ≤
3: village → township → county), at the three grains: so any level reads only
its own few rows, never the cases (docs/statistics.md).

`Cursor` is the watermark of the incremental rollup (stats.rollup), updated in
the same transaction as the counters it moved.
"""
from __future__ import annotations

from django.db import models

# The counters, in the order of the table's columns, with their Chinese labels.
COUNTERS: dict[str, str] = {
    "received": "收件",
    "online": "网上申请收件",
    "accepted": "受理",
    "refused": "不予受理",
    "withdrawn": "撤回",
    "completed": "办结",
    "on_time": "按时办结",
    "days_used": "实际用时（工作日合计）",
    "days_promised": "承诺时限（工作日合计）",
    "immediate": "即办件办结",
    "one_visit": "最多跑一次办结",
    "handed_up": "转办上报",
    "returned": "退回",
    "ratings": "评价",
    "satisfied": "满意评价",
}


class Grain(models.TextChoices):
    DAY = "d", "日"
    MONTH = "m", "月"
    YEAR = "y", "年"


class Rollup(models.Model):
    point = models.ForeignKey("tenants.ServicePoint", verbose_name="服务点（含下级）", on_delete=models.CASCADE,
                              related_name="+", db_index=False)
    grain = models.CharField("粒度", max_length=1, choices=Grain.choices)
    period = models.DateField("期间起始日")  # the day, the 1st of the month, or 1 January
    version = models.ForeignKey("standards.StandardItemVersion", verbose_name="事项版本", on_delete=models.PROTECT,
                                related_name="+", db_index=False)
    received = models.IntegerField(default=0)
    online = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    days_used = models.BigIntegerField(default=0)
    days_promised = models.BigIntegerField(default=0)
    immediate = models.IntegerField(default=0)
    one_visit = models.IntegerField(default=0)
    handed_up = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        verbose_name = "统计汇总"
        constraints = [models.UniqueConstraint(fields=["point", "grain", "period", "version"],
                                               name="stats_rollup_key")]

    def __str__(self) -> str:
        return f"{self.point_id} {self.grain} {self.period} v{self.version_id}"


class Cursor(models.Model):
    """How far the rollup has read one source table (case events, ratings): every
    id up to `high` is counted except those in `gaps` (ids seen missing, which a
    transaction still running may commit later), with when each was first seen."""

    name = models.CharField(max_length=20, unique=True)
    high = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=dict)  # {"<id>": first seen missing, epoch seconds}
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "统计水位"

    def __str__(self) -> str:
        return f"{self.name} ≤ {self.high} (−{len(self.gaps)})"
