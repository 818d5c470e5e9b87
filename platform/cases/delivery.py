"""The cases' outbox: notices written with the change that caused them and
delivered by Celery after commit, each exactly once.

`notices_for` runs inside the step's transaction (cases.services), so a notice
exists if and only if its step happened. `deliver_pending` takes undelivered
notices with row locks (SKIP LOCKED, so workers share them), sends each in its
own savepoint and marks it delivered in the same transaction: a worker killed
mid-way rolls back both, and the next run sends it again, once. Beat runs
`deliver_pending` too, so a notice whose task was lost with the broker still
goes out.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from . import sms
from .identity import mask_phone
from .models import Case, CaseEvent, Channel, Notice, NoticeKind

log = logging.getLogger("yimen.cases")

# The steps the applicant hears of by SMS, and what they read.
SMS_TEXTS = {
    "receive_window": "【一门】{name}，您的“{item}”已在{origin}收件，办件编号 {number}。",
    "hand_up": "【一门】您的办件 {number}（{item}）已转至{holder}办理，您无需再跑。",
    "accept": "【一门】您的办件 {number}（{item}）已受理，承诺 {due} 前办结。",
    "accept_with_tolerance": "【一门】您的办件 {number}（{item}）已容缺受理，请在 {tolerance_due} 前补交："
                             "{tolerated}。",
    "refuse": "【一门】您的办件 {number}（{item}）不予受理，请到{origin}领取不予受理告知书。",
    "request_supplement": "【一门】您的办件 {number}（{item}）需要补正：{supplement}。请带齐材料到{origin}。",
    "decide": "【一门】您的办件 {number}（{item}）已办理完毕，取件码 {pickup}，请到{origin}领取结果。",
    "close": "【一门】您的办件 {number}（{item}）已办结，欢迎对本次服务进行评价。",
    "submit_online": "【一门】{name}，您的“{item}”网上申请已提交{origin}，办件编号 {number}，预审通过后收件。",
    "receive_online": "【一门】{name}，您的“{item}”网上申请已由{origin}预审收件，办件编号 {number}。",
}
# An online applicant supplements online, not at the window.
ONLINE_SMS_TEXTS = {
    "request_supplement": "【一门】您的办件 {number}（{item}）需要补正：{supplement}。请登录网上办事，"
                          "在“我的办件”中一次上传。",
}
# The steps that put a case in a point's inbox.
INBOX_TEXTS = {
    "hand_up": "新转来办件 {number}（{item}），来自{sender}。",
    "return_down": "办件 {number}（{item}）被{sender}退回：{note}",
    "decide": "办件 {number}（{item}）已作出决定，请通知申请人并送达。",
    "refuse": "办件 {number}（{item}）不予受理，请向申请人送达告知书。",
    "submit_online": "新网上申请 {number}（{item}），请预审并收件。",
    "supplement_online": "办件 {number}（{item}）的申请人已网上提交补正材料：{supplement}。",
    "grant_return": "办件 {number}（{item}）退回本级办理：{note}",
}


def _fields(case: Case, event: CaseEvent) -> dict[str, str]:
    return {
        "name": case.applicant_name, "item": case.item_name, "number": case.number,
        "origin": case.origin_point.name, "holder": case.holder.name,
        "due": f"{case.due_date:%Y年%m月%d日}" if case.due_date else "",
        "tolerance_due": f"{case.tolerance_due:%Y年%m月%d日}" if case.tolerance_due else "",
        "tolerated": "、".join(case.tolerance_materials), "supplement": "、".join(case.supplement_list),
        "sender": event.point.name if event.point else "", "note": event.note, "pickup": case.pickup_code,
    }


def notices_for(case: Case, event: CaseEvent) -> list[Notice]:
    """The notices `event` causes, written in its transaction."""
    fields = _fields(case, event)
    notices = []
    if event.action in SMS_TEXTS:
        text = SMS_TEXTS[event.action]
        if case.channel == Channel.ONLINE:
            text = ONLINE_SMS_TEXTS.get(event.action, text)
        notices.append(Notice(case=case, kind=NoticeKind.SMS, key=f"{case.pk}:{event.seq}:sms", phone=case.phone,
                              text=text.format(**fields)[:500]))
    # A result or refusal made where the citizen is needs no notice to itself.
    if event.action in INBOX_TEXTS and case.holder_id != event.point_id:
        notices.append(Notice(case=case, kind=NoticeKind.INBOX, key=f"{case.pk}:{event.seq}:inbox",
                              point=case.holder, text=INBOX_TEXTS[event.action].format(**fields)[:500]))
    if notices:
        Notice.objects.bulk_create(notices)
        transaction.on_commit(_kick)
    return notices


def _kick() -> None:
    from .tasks import deliver_notices

    try:
        deliver_notices.delay()
    except Exception:  # broker down: beat's deliver_pending takes the rows later
        log.warning("broker unavailable; notices wait for the next beat run", exc_info=True)


def _deliver(notice: Notice) -> None:
    if notice.kind == NoticeKind.SMS:
        sms.provider().send(notice)
    # An inbox notice is delivered by becoming visible in the point's inbox (cases.inbox).



MAX_ATTEMPTS = 20  # then a notice waits for an engineer (last_error says why)


def deliver_pending(batch: int = 100) -> int:
    """Deliver undelivered notices, a batch per transaction; returns how many went out."""
    sent = 0
    last_id = 0  # ascending ids: a notice that fails is left for the next run, not retried in a loop
    while True:
        with transaction.atomic():
            notices = list(Notice.objects.select_for_update(skip_locked=True)
                           .filter(delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS, id__gt=last_id)
                           .order_by("id")[:batch])
            if not notices:
                return sent
            for notice in notices:
                last_id = notice.id
                try:
                    with transaction.atomic():
                        _deliver(notice)
                        notice.delivered_at = timezone.now()
                        notice.attempts += 1
                        notice.save(update_fields=["delivered_at", "attempts"])
                    sent += 1
                except Exception as error:  # noqa: BLE001 - one bad notice must not stop the rest
                    notice.attempts += 1
                    notice.last_error = str(error)[:300]
                    notice.save(update_fields=["attempts", "last_error"])
                    log.warning("notice %s to %s failed: %s", notice.key, mask_phone(notice.phone), error)

