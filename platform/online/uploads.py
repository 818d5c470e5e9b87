"""Applicants' files: checked by content, stored privately per point, copied for reuse.

A file's type is what its bytes say (filetype), never its name or the type the
browser claims: PDF, JPEG, PNG, and OFD (a zip holding OFD.xml, China's
standard for electronic documents). The name is kept for display only, cut to
its last part; the stored name is the upload's random key under the point's
folder (models.upload_path), so "../" or odd characters in a name reach
nothing. Files over settings.ONLINE_UPLOAD_MAX_BYTES are refused.
"""
from __future__ import annotations

import hashlib
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from cases.errors import CaseError

from .models import CitizenAccount, Upload

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ALLOWED = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
OFD_TYPE = "application/ofd"
# Materials an applicant may reuse from an earlier case instead of uploading again.
REUSABLE = ("居民身份证", "身份证", "营业执照", "户口簿", "结婚证")


class UploadError(CaseError):
    """A file refused: the message says why, in Chinese."""


def max_bytes() -> int:
    return int(getattr(settings, "ONLINE_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def display_name(name: str) -> str:
    """The last part of a file name, without control characters, at most 120 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 119 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:120]
    return name or "未命名文件"


def _is_ofd(file) -> bool:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            return any(n.rsplit("/", 1)[-1] == "OFD.xml" and n.count("/") <= 1 for n in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)


@dataclass(frozen=True)
class Checked:
    file: UploadedFile
    content_type: str
    name: str
    size: int
    sha256: str


def check(file: UploadedFile, material: str) -> Checked:
    """The file's type by content and its size; UploadError (nothing stored) if refused."""
    name = display_name(file.name or "")
    limit = max_bytes()
    if file.size is None or file.size == 0:
        raise UploadError(f"“{material}”的文件“{name}”是空文件，请重新选择。")
    if file.size > limit:
        raise UploadError(f"“{material}”的文件“{name}”超过 {limit // (1024 * 1024)} MB，请压缩或分页扫描后再上传。")
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    content_type = kind.mime if kind is not None else ""
    if content_type == "application/zip" and _is_ofd(file):
        content_type = OFD_TYPE
    if content_type not in ALLOWED and content_type != OFD_TYPE:
        raise UploadError(f"“{material}”的文件“{name}”不是 PDF、JPEG、PNG 或 OFD 格式（按文件内容识别，"
                          "改扩展名无效），请上传扫描件、照片或电子证照。")
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return Checked(file, content_type, name, file.size, digest.hexdigest())


def store(checked: Checked, account: CitizenAccount, point, material: str, *, draft=None, case=None) -> Upload:
    """Save a checked file on the private storage under the point's folder and its random key."""
    upload = Upload(key=uuid.uuid4(), account=account, point=point, draft=draft, case=case, material=material,
                    original_name=checked.name, content_type=checked.content_type, size=checked.size,
                    sha256=checked.sha256)
    upload.file.save(str(upload.key), checked.file, save=False)
    upload.save()
    return upload


def copy_for(upload: Upload, point, *, draft=None, case=None) -> Upload:
    """A new row for the same stored file: reuse of an earlier case's material."""
    return Upload.objects.create(
        key=uuid.uuid4(), account=upload.account, point=point, draft=draft, case=case, material=upload.material,
        file=upload.file.name, original_name=upload.original_name, content_type=upload.content_type,
        size=upload.size, sha256=upload.sha256)


def forget(upload: Upload) -> None:
    """Drop a draft's file; the stored file goes only when no other row (a reuse) points to it."""
    name = upload.file.name
    upload.delete()
    if name and not Upload.objects.filter(file=name).exists():
        upload.file.storage.delete(name)


def is_reusable(material: str) -> bool:
    return any(word in material for word in REUSABLE)


def reusable_for(account: CitizenAccount, material: str) -> Upload | None:
    """The account's latest file of this material handed in with an earlier case."""
    if not is_reusable(material):
        return None
    return (Upload.objects.filter(account=account, material=material, case__isnull=False)
            .order_by("-created_at").first())
