"""到期提醒: 30 and 7 days before a grant ends, one reminder to both sides (the
county's central admins and the park's admins), once: a GrantReminder row with
a unique key (grant, end date, threshold), shown in both points' 赋权强园 admin,
and a mail to those who have an address when mail is configured. A renewed
grant (a new end date) is reminded again before its new end."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tenants.models import PointGroup, Role

from .models import LIVE, GrantReminder, PowerGrant

log = logging.getLogger(__name__)
THRESHOLDS = (7, 30)  # nearest first: a grant with 5 days left gets the 7-day reminder only
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def mail_configured() -> bool:
    return settings.EMAIL_BACKEND != SMTP or settings.EMAIL_HOST not in ("", "localhost")


def recipients(grant: PowerGrant) -> list[str]:
    held = PointGroup.objects.filter(point=grant.grantor, role=Role.CENTRAL_ADMIN).values_list("group__user", flat=True)
    park = PointGroup.objects.filter(point=grant.grantee, role=Role.ADMIN).values_list("group__user", flat=True)
    users = get_user_model().objects.filter(pk__in=[*held, *park], is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def message(grant: PowerGrant, days: int) -> str:
    return (f"赋权即将到期：{grant.grantor.name}{grant.department}赋予{grant.grantee.name}的权力"
            f"（{grant.instrument_number}）将于 {grant.valid_to:%Y年%m月%d日} 到期（还有 {days} 天）。"
            "如需继续，请中心管理员办理延期；到期后自动终止，办件回到县级部门。")[:300]


def remind_due(on: dt.date | None = None) -> list[GrantReminder]:
    """The reminders due on `on` that were not made before."""
    on = on or timezone.localdate()
    made = []
    last = on + dt.timedelta(days=max(THRESHOLDS))
    for grant in PowerGrant.objects.filter(status__in=LIVE, valid_to__gte=on, valid_to__lte=last) \
            .select_related("grantor", "grantee"):
        left = (grant.valid_to - on).days
        threshold = next(t for t in THRESHOLDS if left <= t)
        key = f"{grant.pk}:{grant.valid_to.isoformat()}:{threshold}"
        if GrantReminder.objects.filter(key=key).exists():
            continue
        try:
            with transaction.atomic():
                reminder = GrantReminder.objects.create(grant=grant, key=key, days_before=threshold,
                                                        message=message(grant, left))
        except IntegrityError:  # another worker made it first
            continue
        _mail(reminder)
        made.append(reminder)
    return made


def _mail(reminder: GrantReminder) -> None:
    if not mail_configured():
        return
    to = recipients(reminder.grant)
    if not to:
        return
    try:
        send_mail("赋权到期提醒", reminder.message, None, to)
    except Exception:  # the row stands in both admins; mail is a courtesy
        log.warning("grant reminder mail failed", exc_info=True)
        return
    GrantReminder.objects.filter(pk=reminder.pk).update(mailed_to=to)
    reminder.mailed_to = to


def reminders_for(point):
    """What a point's admin sees: reminders of grants it gave or received."""
    return GrantReminder.objects.filter(Q(grant__grantor=point) | Q(grant__grantee=point)).select_related("grant")
