"""Cases (办件), in the public schema: one record for a case's whole life,
whichever points it passes through, never copied between schemas.

A case is pinned to the standard version it was opened under. Its status moves
only through the transitions declared on `Case` (django-fsm), and only
`cases.services` calls them: each call checks who acts, where, and writes one
`CaseEvent` in the same transaction. Events are append-only (a trigger refuses
UPDATE and DELETE, migration 0002) and chained by hashes per case
(`cases.history`). Notices a change causes (the receiving point's inbox, an SMS
to the applicant) are `Notice` rows in the same transaction: the outbox that
Celery delivers exactly once (`cases.delivery`).
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.files.storage import storages
from django.db import models
from django_fsm import RETURN_VALUE, FSMField, transition

from tenants.scope import PointOwnedQuerySet, points_visible_to


def applicant_files():
    """The private storage of applicants' files (settings.STORAGES["applicant_files"])."""
    return storages["applicant_files"]


class Status(models.TextChoices):
    APPLIED = "applied", "申请"  # submitted online, not yet received by a window (the online issue)
    RECEIVED = "received", "已收件"
    ACCEPTED = "accepted", "已受理"
    REFUSED = "refused", "不予受理"
    SUPPLEMENT = "supplement", "补正中"
    REVIEW = "review", "审查中"
    SPECIAL = "special", "特别程序"
    DECIDED = "decided", "已决定"
    DELIVERED = "delivered", "已送达"
    CLOSED = "closed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


# The clock stops in these (补正, 特别程序); a case in FINAL is over.
CLOCK_STOPPED = (Status.SUPPLEMENT, Status.SPECIAL)
FINAL = (Status.REFUSED, Status.CLOSED, Status.WITHDRAWN)
OPEN = tuple(s for s in Status.values if s not in FINAL)
# Before the legal 受理: where 补正 may send a case back to after materials come.
BEFORE_ACCEPTANCE = (Status.APPLIED, Status.RECEIVED)


class ApplicantKind(models.TextChoices):
    PERSON = "person", "个人"
    ENTERPRISE = "enterprise", "企业（法人）"


class Channel(models.TextChoices):
    WINDOW = "window", "窗口"
    ONLINE = "online", "网上"


class Delivery(models.TextChoices):
    WINDOW = "window", "窗口领取"
    POST = "post", "免费邮寄"
    ELECTRONIC = "electronic", "电子送达"


class CaseQuerySet(PointOwnedQuerySet):
    """Cases are read through tenants.scope like every point-owned row; a case
    belongs to every point it passed through (`passed_points`), so "visible"
    means: one of those points is visible to the user from where they are."""

    point_field = "origin_point"

    def visible_to(self, user, point):
        visible = list(points_visible_to(user, point).values_list("pk", flat=True))
        return self.filter(passed_points__overlap=visible) if visible else self.none()

    def held_by(self, point):
        """The cases a point must act on now (its inbox and worklist)."""
        return self.filter(holder=point)

    def open(self):
        return self.filter(status__in=OPEN)


class Case(models.Model):
    number = models.CharField("办件编号", max_length=40, unique=True)
    item = models.ForeignKey("standards.StandardItem", verbose_name="事项", on_delete=models.PROTECT,
                             related_name="cases")
    # The version the case was opened under: its materials, limits and deciding tier hold for it.
    version = models.ForeignKey("standards.StandardItemVersion", verbose_name="事项版本", on_delete=models.PROTECT,
                                related_name="cases")
    item_name = models.CharField("事项名称", max_length=100)
    department = models.CharField("实施部门", max_length=50)
    status = FSMField("状态", max_length=12, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices, default=Channel.WINDOW)

    # Where the citizen is (received it, delivers the result), who holds it now,
    # who decides it (cases.routing), and every point it passed through (scope).
    origin_point = models.ForeignKey("tenants.ServicePoint", verbose_name="收件服务点", on_delete=models.PROTECT,
                                     related_name="cases_received")
    holder = models.ForeignKey("tenants.ServicePoint", verbose_name="当前办理点", on_delete=models.PROTECT,
                               related_name="cases_held")
    deciding_point = models.ForeignKey("tenants.ServicePoint", verbose_name="决定机关所在服务点",
                                       on_delete=models.PROTECT, related_name="cases_decided")
    passed_points = ArrayField(models.BigIntegerField(), verbose_name="经过的服务点", default=list)

    applicant_kind = models.CharField("申请人类型", max_length=12, choices=ApplicantKind.choices)
    applicant_name = models.CharField("申请人", max_length=100)
    # ID card number (个人) or unified social credit code (企业); masked everywhere but the case page.
    applicant_id_number = models.CharField("证件号码", max_length=18)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    agent_name = models.CharField("代理人", max_length=50, blank=True)
    agent_id_number = models.CharField("代理人身份证号", max_length=18, blank=True)
    agent_power_of_attorney = models.BooleanField("已核验授权委托书", default=False)
    phone = models.CharField("联系电话", max_length=20)
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="网上申请账号", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="cases")
    # The checklist at the window: [{name, required, tolerable, form, copies, present, original, note}].
    materials = models.JSONField("材料清单", default=list)

    received_at = models.DateTimeField("收件时间")
    # 行政许可法 art. 32: 补正 or 不予受理 notified within 5 working days of 收件.
    notify_by = models.DateField("补正/不予受理告知期限")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    due_date = models.DateField("办结期限", null=True, blank=True)
    # The clock stops in 补正 and 特别程序 from this day; the due date moves on when it resumes.
    clock_stopped_on = models.DateField("计时暂停日", null=True, blank=True)
    # Where 补正 or 特别程序 return to when they end.
    resume_status = models.CharField(max_length=12, blank=True)
    supplement_list = models.JSONField("补正材料清单", default=list)
    special_reason = models.CharField("特别程序事由", max_length=300, blank=True)
    special_expected_end = models.DateField("特别程序预计结束", null=True, blank=True)
    tolerance_materials = models.JSONField("容缺材料", default=list)
    tolerance_due = models.DateField("容缺材料补交期限", null=True, blank=True)
    refusal_reason = models.TextField("不予受理理由", blank=True)
    granted = models.BooleanField("准予", null=True, blank=True)
    decision_text = models.TextField("决定内容", blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    delivery = models.CharField("送达方式", max_length=12, choices=Delivery.choices, blank=True)
    delivery_detail = models.CharField("送达说明", max_length=300, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    # 送达 by window pick-up: the code the applicant shows; by free post: where and how it went.
    pickup_code = models.CharField("取件码", max_length=8, blank=True)
    post_address = models.CharField("邮寄地址", max_length=200, blank=True)
    post_carrier = models.CharField("快递公司", max_length=30, blank=True)
    post_tracking = models.CharField("运单号", max_length=40, blank=True)
    post_delivered_on = models.DateField("妥投日期", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    # What the window charged the applicant (cases.services.record_fee, an event each time):
    # 电子监察 checks it against the standard's 收费标准 (a free item charged is a red warning).
    fee_charged = models.DecimalField("已收费用（元）", max_digits=10, decimal_places=2, default=0)
    # The intake form's one-time token: a second submit of the same form finds this case.
    intake_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    last_hash = models.CharField("最新事件哈希", max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        ordering = ["-received_at"]
        indexes = [
            GinIndex(fields=["passed_points"], name="case_passed_points_gin"),
            models.Index(fields=["holder", "status"], name="case_holder_status"),
            models.Index(fields=["deciding_point", "department", "status"], name="case_decider_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.item_name}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def clock_stopped(self) -> bool:
        return self.status in CLOCK_STOPPED

    # --- the state machine: sources and targets only; cases.services does the rest ---------
    @transition(field=status, source=Status.APPLIED, target=Status.RECEIVED)
    def receive(self):
        """收件: an online application received by a window (the online issue)."""

    @transition(field=status, source=[Status.RECEIVED], target=Status.RECEIVED)
    def hand_up(self):
        """转办/上报: to the next point on the way to the deciding one."""

    @transition(field=status, source=[Status.RECEIVED], target=Status.RECEIVED)
    def return_down(self):
        """退回: the receiving point sends it back to the sender, with a reason."""

    @transition(field=status, source=[Status.RECEIVED], target=Status.ACCEPTED)
    def accept(self):
        """受理 (or 容缺受理, with a material promised later)."""

    @transition(field=status, source=[Status.RECEIVED], target=Status.REFUSED)
    def refuse(self):
        """不予受理, with written reasons and the notice of the right to appeal."""

    @transition(field=status, source=[Status.APPLIED, Status.RECEIVED, Status.ACCEPTED, Status.REVIEW],
                target=Status.SUPPLEMENT)
    def request_supplement(self):
        """补正: one complete list; the clock stops (also at 预审 of an online application)."""

    @transition(field=status, source=Status.SUPPLEMENT, target=RETURN_VALUE(Status.APPLIED, Status.RECEIVED,
                                                                           Status.ACCEPTED, Status.REVIEW))
    def supplement_received(self):
        """补正材料收齐: back where it was; the clock resumes."""
        return self.resume_status

    @transition(field=status, source=Status.ACCEPTED, target=Status.REVIEW)
    def start_review(self):
        """审查."""

    @transition(field=status, source=Status.REVIEW, target=Status.SPECIAL)
    def start_special(self):
        """特别程序 (hearing, testing, expert review): the clock stops."""

    @transition(field=status, source=Status.SPECIAL, target=Status.REVIEW)
    def end_special(self):
        """特别程序结束: the clock resumes."""

    @transition(field=status, source=[Status.ACCEPTED, Status.REVIEW], target=Status.DECIDED)
    def decide(self):
        """决定 (准予 / 不予); the result goes down to where the citizen is."""

    @transition(field=status, source=Status.DECIDED, target=Status.DELIVERED)
    def deliver(self):
        """送达."""

    @transition(field=status, source=Status.DELIVERED, target=Status.CLOSED)
    def close(self):
        """办结."""

    @transition(field=status, source=[Status.APPLIED, Status.RECEIVED, Status.ACCEPTED, Status.SUPPLEMENT,
                                      Status.REVIEW, Status.SPECIAL], target=Status.WITHDRAWN)
    def withdraw(self):
        """撤回: the applicant withdraws."""


class CaseEvent(models.Model):
    """One step of a case: append-only (trigger), chained by hashes per case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField("序号")
    action = models.CharField("动作", max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField("操作人", max_length=150)
    point = models.ForeignKey("tenants.ServicePoint", verbose_name="服务点", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=20, blank=True)
    at = models.DateTimeField("时间")
    address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    # {field: [before, after]} of the case fields the step changed.
    changes = models.JSONField("变更", default=dict)
    note = models.TextField("说明", blank=True)
    # Seen by the applicant on the progress page (internal notes are not).
    public = models.BooleanField(default=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "办件事件"
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class HandoffStatus(models.TextChoices):
    PENDING = "pending", "待接收"
    TAKEN = "taken", "已接收"
    RETURNED = "returned", "已退回"
    DELIVERED = "delivered", "已下达"  # a result sent down: nothing to accept


class HandoffQuerySet(PointOwnedQuerySet):
    point_field = "to_point"  # a point's inbox: what was handed to it


class Handoff(models.Model):
    """A case passed from one point to another: up for the decision, or the result down."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="handoffs")
    from_point = models.ForeignKey("tenants.ServicePoint", on_delete=models.PROTECT, related_name="handoffs_out")
    to_point = models.ForeignKey("tenants.ServicePoint", on_delete=models.PROTECT, related_name="handoffs_in")
    upward = models.BooleanField("上报", default=True)
    status = models.CharField(max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.PENDING)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=300, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    return_reason = models.CharField("退回理由", max_length=300, blank=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        verbose_name = "转办"
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["to_point", "status"], name="handoff_inbox")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_point_id} → {self.to_point_id} {self.get_status_display()}"


class NoticeKind(models.TextChoices):
    INBOX = "inbox", "待办提醒"
    SMS = "sms", "短信"
    SUPERVISION = "supervise", "监察预警"  # to a point's supervisors (supervision.monitor)


class Notice(models.Model):
    """The outbox: written with the change that caused it, delivered once by Celery."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    # Idempotency: one notice per case event and kind.
    key = models.CharField(max_length=80, unique=True)
    point = models.ForeignKey("tenants.ServicePoint", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    phone = models.CharField(max_length=20, blank=True)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # inbox notices: seen at the point

    objects = PointOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "通知"
        indexes = [
            models.Index(fields=["delivered_at", "id"], name="notice_pending"),
            models.Index(fields=["point", "kind", "read_at"], name="notice_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class SmsMessage(models.Model):
    """What the demo and test SMS provider 'sends': one row per notice, never two;
    a sign-in code (online.accounts) belongs to no case and has no notice."""

    notice = models.OneToOneField(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="sms")
    phone = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"短信 {self.notice_id}"


class CaseNumberSequence(models.Model):
    """The last case number given at a point on a day (row-locked while an intake runs)."""

    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["point", "day"], name="case_sequence_point_day")]

    def __str__(self) -> str:
        return f"{self.point_id} {self.day} #{self.last}"


class DeskAssignment(models.Model):
    """A member of staff at a department's desk of a point (分类审批 at the county):
    the department's queue is theirs to accept, review and decide."""

    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="desks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desks")
    department = models.CharField("部门", max_length=50)

    objects = PointOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "部门窗口人员"
        constraints = [models.UniqueConstraint(fields=["point", "user", "department"], name="desk_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.point_id} {self.department}"


class WorkdayEntry(models.Model):
    """A central admin's correction of the official calendar, or a day of a year
    the chinese-calendar package does not cover yet (cases.workdays)."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "工作日调整"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'工作日' if self.is_workday else '休息日'}"


class WorkdayYear(models.Model):
    """A year whose official schedule central admins have entered completely."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.year} 年"


def result_path(instance: ElectronicResult, filename: str) -> str:
    # In the deciding point's folder, under the result's random token.
    return f"results/{instance.case.deciding_point.schema_name}/{instance.token}.pdf"


class ElectronicResult(models.Model):
    """A result (决定书 or licence) issued electronically: a PDF in the deciding
    authority's name with its seal and a QR code to /verify/<token> on the
    network's host. The PDF's SHA-256 is kept, so a changed copy does not verify."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="results")
    token = models.CharField(max_length=43, unique=True)
    title = models.CharField("文书名称", max_length=100)
    issuer = models.CharField("出具机关", max_length=100)
    recipient_masked = models.CharField("送达对象（脱敏）", max_length=100)
    pdf = models.FileField(upload_to=result_path, max_length=200, storage=applicant_files)
    sha256 = models.CharField("文件指纹", max_length=64)
    issued_at = models.DateTimeField("出具时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_reason = models.CharField("撤销理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "电子证照/文书"
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.title}"

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


class RatingChannel(models.TextChoices):
    WINDOW = "window", "窗口评价器"
    QR = "qr", "扫码评价"
    ONLINE = "online", "网上评价"


class Rating(models.Model):
    """好差评: one rating per case, after 办结."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="rating")
    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField("评价等级")  # 1 非常不满意 … 5 非常满意
    comment = models.CharField("评价内容", max_length=500, blank=True)
    channel = models.CharField(max_length=10, choices=RatingChannel.choices)
    rated_at = models.DateTimeField("评价时间")

    objects = PointOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "好差评"
        constraints = [models.CheckConstraint(condition=models.Q(grade__gte=1, grade__lte=5),
                                              name="rating_grade_1_to_5")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.grade}"


class FollowUp(models.Model):
    """A bad rating (1–2) opens a task for the point's supervisor: 整改 and a
    reply to the applicant within 15 working days."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="follow_up")
    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField("整改期限")
    action_taken = models.TextField("整改情况", blank=True)
    reply = models.TextField("答复申请人", blank=True)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")

    objects = PointOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "差评整改"
        ordering = ["due_date"]

    def __str__(self) -> str:
        return f"{self.rating_id}: {self.due_date}"
