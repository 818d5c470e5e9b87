"""The applicant's side of the network, in the public schema.

A `CitizenAccount` is the network account of a person or an enterprise (one
per phone number), signed in with a `SignInCode` sent by SMS. A `Draft` is an
online application being filled in, pinned to the standard version the point
had adopted when it was started; submitting it opens a case through
`cases.services`. An `Upload` is one file of one material, stored per point
through Django's storage and served only inside the case's scope.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from cases.models import ApplicantKind, applicant_files


class CitizenAccount(models.Model):
    """A person's or an enterprise's account on the network (not per point)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="citizen")
    phone = models.CharField("手机号", max_length=11, unique=True)
    kind = models.CharField("类型", max_length=12, choices=ApplicantKind.choices, default=ApplicantKind.PERSON)
    # Real name: a person's name and ID number, or an enterprise's name, USCC and legal representative.
    name = models.CharField("姓名或名称", max_length=100, blank=True)
    id_number = models.CharField("证件号码", max_length=18, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    verified_at = models.DateTimeField("实名时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "网上办事账号"

    def __str__(self) -> str:
        return self.name or self.phone

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class SignInCode(models.Model):
    """A one-time sign-in code: 6 digits, 5 minutes, one use. Only its hash is kept."""

    phone = models.CharField(max_length=11, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "登录验证码"
        indexes = [models.Index(fields=["phone", "-created_at"], name="signin_code_latest")]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.created_at:%H:%M}"


class Draft(models.Model):
    """An online application being filled in; saved as the applicant goes."""

    account = models.ForeignKey(CitizenAccount, on_delete=models.PROTECT, related_name="drafts")
    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("standards.StandardItem", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("standards.StandardItemVersion", on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField("填写内容", default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    case = models.OneToOneField("cases.Case", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="draft")

    class Meta:
        verbose_name = "网上申请草稿"
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.account}: {self.item_id}"


def upload_path(instance: Upload, filename: str) -> str:
    # Per point, under a random name: the applicant's file name never reaches the file system.
    return f"uploads/{instance.point.schema_name}/{instance.key}"


class Upload(models.Model):
    """One file of one material of an application (or a 补正)."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(CitizenAccount, on_delete=models.PROTECT, related_name="uploads")
    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.PROTECT, related_name="+")
    draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="uploads")
    material = models.CharField("材料", max_length=200)
    file = models.FileField(upload_to=upload_path, max_length=200, storage=applicant_files)
    original_name = models.CharField("文件名", max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "申请材料文件"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.material}：{self.original_name}"
