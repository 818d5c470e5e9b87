"""Every change to the standard library goes through here: views, commands,
importers and tasks call these functions, never save the models themselves.

Life of a version: draft (editable) → review (frozen) → published (never
changes; a trigger in the database refuses it) — or back from review to draft
with a reviewer's note. Publishing makes it the item's current version and, in
the same transaction, records the propagation to every adopting point.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import authority, elements, propagation
from .models import BatchStatus, StandardItem, StandardItemVersion, VersionStatus


class StandardsError(Exception):
    """A refused change, with a message for the central admin (Chinese)."""


def _check_actor(user) -> None:
    # Who may act is the views' business (central admins at the county);
    # here only a deactivated account is refused. Imports and the demo run
    # with user=None (trusted, command line).
    if user is not None and not user.is_active:
        raise StandardsError("账号已停用。")


def _new_item(code: str, owner: str) -> StandardItem:
    if not authority.is_valid(owner):
        raise StandardsError(f"所属区划“{owner}”应为空（全辖区共用）、4 位（市级）或 6 位（县级）区划代码。")
    return StandardItem.objects.create(code=code, authority=owner)


def check_owner(item: StandardItem, owner: str) -> None:
    """An item is changed only in the name of the authority that owns it."""
    if item.authority != owner:
        raise StandardsError(f"{item.code} 属于{authority.label(item.authority)}，"
                             f"不能以{authority.label(owner)}的名义修改。")


@transaction.atomic
def create_item(raw: dict, user=None, note: str = "新建事项", *,
                owner: str = authority.SHARED) -> StandardItemVersion:
    """A new standard item of `owner` (standards/authority.py) with its first version as a draft."""
    _check_actor(user)
    content = elements.normalize(raw)
    if StandardItem.objects.filter(code=content["code"]).exists():
        raise StandardsError(f"基本编码 {content['code']} 已存在。")
    return _add_version(_new_item(content["code"], owner), content, user, note)


def _add_version(item: StandardItem, content: dict, user, note: str, batch=None) -> StandardItemVersion:
    """A new draft numbered after the item's last version (the caller holds the item)."""
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = StandardItemVersion(item=item, number=number, created_by=user, note=note, batch=batch)
    version.set_content(content)
    version.save()
    return version


def _outside_pending_batch(version: StandardItemVersion) -> None:
    """A version of an import batch under review is published or returned with
    its whole batch (standards/batches.py), never alone."""
    if version.batch is not None and version.batch.status == BatchStatus.REVIEW:
        raise StandardsError(f"第 {version.number} 版属于待审核的导入批次 {version.batch_id}"
                             f"（{version.batch.file_name}），请在该批次页面整体审核发布或退回。")


def open_draft(item: StandardItem) -> StandardItemVersion | None:
    return item.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.REVIEW]).first()


@transaction.atomic
def start_draft(item: StandardItem, user=None, note: str = "") -> StandardItemVersion:
    """A new draft from the current version (one open draft per item)."""
    _check_actor(user)
    item = StandardItem.objects.select_for_update().get(pk=item.pk)
    existing = open_draft(item)
    if existing:
        raise StandardsError(f"{item.code} 已有未发布的第 {existing.number} 版（{existing.get_status_display()}），"
                             "请先完成或撤回它。")
    base = item.current or item.versions.order_by("-number").first()
    if base is None:  # an item is created with its first version (_new_item, then _add_version)
        raise StandardsError(f"{item.code} 还没有任何版本，无法起草新版本。")
    return _add_version(item, dict(base.content), user, note)


@transaction.atomic
def update_draft(version: StandardItemVersion, raw: dict, user=None, note: str | None = None) -> StandardItemVersion:
    """Replace a draft's content; ContentError lists every problem and nothing is saved."""
    _check_actor(user)
    version = StandardItemVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise StandardsError(f"第 {version.number} 版{version.get_status_display()}，只有草稿可以修改。")
    content = elements.normalize(raw)
    if content["code"] != version.item.code:
        raise StandardsError("基本编码不能修改；如需新编码，请新建事项。")
    version.set_content(content)
    if note is not None:
        version.note = note
    version.save()
    return version


@transaction.atomic
def discard_draft(version: StandardItemVersion, user=None) -> None:
    _check_actor(user)
    version = StandardItemVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == VersionStatus.PUBLISHED:
        raise StandardsError("已发布的版本不能删除。")
    _outside_pending_batch(version)
    if version.number == 1 and not version.item.current_id:
        item = version.item
        version.delete()
        item.delete()
        return
    version.delete()


@transaction.atomic
def submit_for_review(version: StandardItemVersion, user=None) -> StandardItemVersion:
    _check_actor(user)
    version = StandardItemVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise StandardsError(f"第 {version.number} 版{version.get_status_display()}，不能再提交审核。")
    version.status = VersionStatus.REVIEW
    version.submitted_by = user
    version.submitted_at = timezone.now()
    version.review_note = ""
    version.save()
    return version


@transaction.atomic
def reject(version: StandardItemVersion, user=None, note: str = "") -> StandardItemVersion:
    _check_actor(user)
    version = StandardItemVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.REVIEW:
        raise StandardsError("只有待审核的版本可以退回。")
    _outside_pending_batch(version)
    if not note.strip():
        raise StandardsError("退回时请写明审核意见。")
    version.status = VersionStatus.DRAFT
    version.review_note = note.strip()[:300]
    version.save()
    return version


@transaction.atomic
def publish(version: StandardItemVersion, user=None, *, review: bool = True):
    """Publish a version under review; returns the propagation to adopting points.

    Four eyes: with STANDARDS_FOUR_EYES the reviewer must not be the one who
    submitted it. `review=False` is for the importer, which publishes directly.
    """
    _check_actor(user)
    version = StandardItemVersion.objects.select_for_update().get(pk=version.pk)
    if review and version.status != VersionStatus.REVIEW:
        raise StandardsError(f"第 {version.number} 版{version.get_status_display()}，需先提交审核才能发布。")
    if version.status == VersionStatus.PUBLISHED:
        raise StandardsError(f"第 {version.number} 版已经发布。")
    _outside_pending_batch(version)
    if (review and settings.STANDARDS_FOUR_EYES and user is not None
            and version.submitted_by_id == user.pk):
        raise StandardsError("提交审核的人不能自己发布，请由另一位中心管理员审核发布。")
    item = StandardItem.objects.select_for_update().get(pk=version.item_id)
    if item.current is not None and item.current.number > version.number:
        raise StandardsError(f"已有更新的第 {item.current.number} 版在用，不能发布旧版本。")
    version.status = VersionStatus.PUBLISHED
    version.published_by = user
    version.published_at = timezone.now()
    version.save()
    item.current = version
    item.save(update_fields=["current"])
    return propagation.start(version)


@transaction.atomic
def publish_content(raw_or_content: dict, user=None, note: str = "导入", *,
                    owner: str = authority.SHARED, batch=None) -> tuple[StandardItemVersion, bool]:
    """Operator's path (the import_standards command, the demo, tests): publish
    this content as the item's current version, unless the current version
    already says exactly this (idempotent). The admin's import goes through
    `batches.submit_content` instead and waits for a second central admin.
    A new item belongs to `owner`; an existing one must already belong to it.
    Returns (current version, whether a new version was published)."""
    content = elements.normalize(raw_or_content)
    item, same = import_target(content, owner)
    if same is not None:
        return same, False
    version = _add_version(item, content, user, note, batch)
    publish(version, user, review=False)
    version.refresh_from_db()
    return version, True


def import_target(content: dict, owner: str) -> tuple[StandardItem, StandardItemVersion | None]:
    """The item an imported record goes to, locked (created for a new code), and
    its current version when that already says exactly this. Refuses an item of
    another authority or one with an unpublished version in the way."""
    item = StandardItem.objects.select_for_update().filter(code=content["code"]).first()
    if item is not None:
        check_owner(item, owner)
    if item is not None and item.current is not None and item.current.content == content:
        return item, item.current
    if item is None:
        return _new_item(content["code"], owner), None
    stale = open_draft(item)
    if stale is not None:
        raise StandardsError(f"{item.code} 有未发布的第 {stale.number} 版，请先处理后再导入。")
    return item, None
