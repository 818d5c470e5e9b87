"""The standard item library (public schema): items, their immutable versions,
which points adopt which version, and the propagation of a new version.

A version is edited while it is a draft, frozen once submitted for review and
never changed once published (a database trigger refuses it, see migration
0002). Points pin their guides to a version; `Adoption` mirrors that pin in
public so the network can be asked "who accepts this item" in one query.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from tenants.scope import PointOwnedQuerySet

from . import authority


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    REVIEW = "review", "待审核"
    PUBLISHED = "published", "已发布"


class StandardItemQuerySet(models.QuerySet):
    def visible_to(self, point):
        """Items `point` may see and adopt: its county's, its prefecture's and the cell's shared ones."""
        return self.filter(authority.visible_q(point))

    def owned_by(self, point):
        """Items `point`'s central admins may change: those of its county."""
        return self.filter(authority=authority.of_point(point))


class StandardItem(models.Model):
    code = models.CharField("基本编码", max_length=32, unique=True)
    # Who edits and publishes it, and which points it may reach (standards/authority.py):
    # a county's 6-digit region code, a prefecture's 4 digits, or "" for the whole cell.
    authority = models.CharField("所属区划", max_length=6, blank=True, default=authority.SHARED, db_index=True)
    current = models.ForeignKey("StandardItemVersion", verbose_name="现行版本", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StandardItemQuerySet.as_manager()

    class Meta:
        verbose_name = "标准事项"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(authority__regex=authority.PATTERN),
                                   name="standard_item_authority_region_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.current.name if self.current_id else ''}".strip()


class StandardItemVersion(models.Model):
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    content = models.JSONField("内容")
    # Copies of content elements that lists and filters query.
    name = models.CharField("事项名称", max_length=100)
    department = models.CharField("实施部门", max_length=50)
    item_type = models.CharField("事项类型", max_length=20)
    target = models.CharField("服务对象", max_length=20)
    themes = ArrayField(models.CharField(max_length=20), verbose_name="主题", default=list)
    accept_tiers = ArrayField(models.CharField(max_length=10), verbose_name="可收件层级", default=list)
    decide_tier = models.CharField("决定层级", max_length=10)
    statutory_days = models.PositiveIntegerField("法定时限")
    promised_days = models.PositiveIntegerField("承诺时限")
    visits = models.PositiveSmallIntegerField("到现场次数")
    online = models.CharField("网办深度", max_length=10)

    note = models.CharField("修订说明", max_length=300, blank=True)
    review_note = models.CharField("审核意见", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when the version came from an imported file (see ImportBatch).
    batch = models.ForeignKey("ImportBatch", verbose_name="导入批次", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="versions")

    class Meta:
        verbose_name = "标准版本"
        ordering = ["item_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="standard_version_number_unique"),
        ]
        indexes = [models.Index(fields=["status", "item"])]

    def __str__(self):
        return f"{self.item.code} 第 {self.number} 版"

    @property
    def code(self) -> str:
        return self.content["code"]

    def set_content(self, content: dict) -> None:
        """Store normalized content and the copies lists filter on."""
        self.content = content
        self.name = content["name"]
        self.department = content["department"]
        self.item_type = content["type"]
        self.target = content["target"]
        self.themes = content["themes"]
        self.accept_tiers = content["accept_tiers"]
        self.decide_tier = content["decide_tier"]
        self.statutory_days = content["statutory_days"]
        self.promised_days = content["promised_days"]
        self.visits = content["visits"]
        self.online = content["online"]


class Adoption(models.Model):
    """Point P offers item I with its guide pinned to version V (mirror of P's live guide page)."""

    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="adoptions")
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="adoptions")
    version = models.ForeignKey(StandardItemVersion, on_delete=models.PROTECT, related_name="adoptions")
    adopted_at = models.DateTimeField(auto_now_add=True)

    objects = PointOwnedQuerySet.as_manager()  # reads go through tenants.scope

    class Meta:
        verbose_name = "采用"
        constraints = [models.UniqueConstraint(fields=["point", "item"], name="adoption_point_item_unique")]

    def __str__(self):
        return f"{self.point_id} 采用 {self.item_id}（版本 {self.version_id}）"


class PropagationStatus(models.TextChoices):
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"


class Propagation(models.Model):
    """Bringing one published version to every point that adopts the item.

    Written in the same transaction as the publication, with one target row
    per point (the outbox): a worker that dies loses nothing, and a target is
    applied once because its row is locked and marked in the point's own
    transaction.
    """

    version = models.OneToOneField(StandardItemVersion, on_delete=models.PROTECT, related_name="propagation")
    status = models.CharField(max_length=10, choices=PropagationStatus.choices, default=PropagationStatus.RUNNING)
    total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "版本推送"
        ordering = ["-started_at"]

    def __str__(self):
        return f"推送 {self.version}"


class TargetStatus(models.TextChoices):
    PENDING = "pending", "待推送"
    PUBLISHED = "published", "已发布"
    CONFLICT = "conflict", "待本点确认"
    SKIPPED = "skipped", "无需推送"
    FAILED = "failed", "失败"


class PropagationTarget(models.Model):
    propagation = models.ForeignKey(Propagation, on_delete=models.CASCADE, related_name="targets")
    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=TargetStatus.choices, default=TargetStatus.PENDING)
    detail = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["propagation", "point"], name="propagation_target_unique"),
        ]
        indexes = [models.Index(fields=["propagation", "status"])]

    def __str__(self):
        return f"{self.propagation_id} → {self.point_id}：{self.get_status_display()}"


class BatchStatus(models.TextChoices):
    REVIEW = "review", "待审核"
    PUBLISHED = "published", "已发布"
    REJECTED = "rejected", "已退回"


class ImportBatch(models.Model):
    """One imported file and the versions it brought (four eyes for imports).

    Uploaded in the admin, a file's versions wait for review as one batch:
    another central admin publishes all of them at once or returns the whole
    batch with a reason (its versions are then discarded; `outcomes` keeps
    what it held). The `import_standards` command publishes directly and
    records the operator who ran it.
    """

    file_name = models.CharField("文件名", max_length=255)
    note = models.CharField("修订说明", max_length=300, blank=True)
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.REVIEW)
    outcomes = models.JSONField("事项", default=dict)  # code → "new" | "changed"
    # In whose name the file was imported (standards/authority.py); only that
    # county's central admins see and review the batch.
    authority = models.CharField("所属区划", max_length=6, blank=True, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    operator = models.CharField("操作人（命令行）", max_length=150, blank=True)
    created_at = models.DateTimeField("导入时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=300, blank=True)

    class Meta:
        verbose_name = "导入批次"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"导入批次 {self.pk}（{self.file_name}）"

    @property
    def submitter(self) -> str:
        if self.uploaded_by is not None:
            return self.uploaded_by.username
        return f"{self.operator}（命令行）" if self.operator else "—"
