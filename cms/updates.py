"""A point's editors deciding on a standard version that waits for them
(cms.StandardUpdate): take the standard's values for the elements in
conflict, or keep the point's own, and publish — through Wagtail's own
revision publishing, with their name on it."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import ItemGuidePage, StandardUpdate

# What a local field goes back to when the point takes the standard's value.
CLEARED = {"promised_days": None, "phone": "", "online_url": "", "fee_note": ""}


class UpdateError(Exception):
    """A refused decision, with a message for the editor (Chinese)."""


def open_updates():
    return (StandardUpdate.objects.filter(status=StandardUpdate.Status.OPEN)
            .select_related("page", "from_version", "to_version").order_by("-created_at"))


@transaction.atomic
def accept(update: StandardUpdate, user, *, keep_local: bool = False) -> ItemGuidePage:
    update = StandardUpdate.objects.select_for_update().select_related("page", "to_version").get(pk=update.pk)
    if update.status != StandardUpdate.Status.OPEN:
        raise UpdateError(f"这条更新已{update.get_status_display()}，无需再处理。")
    page = update.page
    if not page.permissions_for_user(user).can_publish():
        raise PermissionDenied("您没有发布此办事指南的权限，请联系本点管理员。")
    if update.revision is None:  # the draft revision was purged (its key is SET_NULL)
        raise UpdateError("这条更新的草稿修订已被清理，无法采用；请等待标准的下一次发布。")
    guide = update.revision.as_object()
    if not keep_local:
        for field, element in ItemGuidePage.OVERRIDES.items():
            if element in update.conflicts or (field == "promised_days" and "statutory_days" in update.conflicts):
                setattr(guide, field, update.to_version.name if field == "title" else CLEARED[field])
    statutory = update.to_version.statutory_days
    if guide.promised_days is not None and guide.promised_days > statutory:
        raise UpdateError(f"本点承诺时限 {guide.promised_days} 个工作日超过新版法定时限 {statutory} 个工作日，"
                          "不能保留本点的值，请采用标准的值或先修改承诺时限。")
    revision = guide.save_revision(user=user, log_action=True)
    revision.publish(user=user)
    update.status = StandardUpdate.Status.ACCEPTED
    update.resolved_at = timezone.now()
    update.save(update_fields=["status", "resolved_at"])
    return ItemGuidePage.objects.get(pk=page.pk)
