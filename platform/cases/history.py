"""The tamper-evident history of a case: each event's hash covers its own
fields and the previous event's hash, so changing, removing or reordering any
event breaks every link after it. The database already refuses UPDATE and
DELETE on events (migration 0002); the chain catches what someone with the
power to disable that trigger does anyway."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from .models import Case, CaseEvent

GENESIS = "0" * 64


def event_hash(event: CaseEvent, case_number: str) -> str:
    body = {
        "case": case_number,
        "seq": event.seq,
        "action": event.action,
        "from": event.from_status,
        "to": event.to_status,
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "point": event.point_id,
        "role": event.role,
        # In UTC: the database gives back UTC whatever zone the event was written in.
        "at": event.at.astimezone(dt.UTC).isoformat(),
        "address": event.address,
        "changes": event.changes,
        "note": event.note,
        "public": event.public,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def seal(event: CaseEvent, case: Case) -> None:
    """Link `event` after the case's last event (the caller holds the case's row lock).

    The hash is taken over the values as the database will give them back
    (`changes` through JSON, `at` in UTC), so that `verify` recomputes the same
    hash from the stored row whatever Python types the step used."""
    event.changes = json.loads(json.dumps(event.changes, ensure_ascii=False))
    event.at = event.at.astimezone(dt.UTC)
    event.prev_hash = case.last_hash or GENESIS
    event.hash = event_hash(event, case.number)


@dataclass(frozen=True)
class BrokenLink:
    case_number: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"{self.case_number} 第 {self.seq} 个事件：{self.reason}"


def verify(case: Case) -> BrokenLink | None:
    """The first broken link of the case's chain, or None if it is whole."""
    prev, expected_seq = GENESIS, 1
    for event in CaseEvent.objects.filter(case=case).order_by("seq", "id"):
        if event.seq != expected_seq:
            return BrokenLink(case.number, expected_seq, f"缺少事件（下一个是第 {event.seq} 个）")
        if event.prev_hash != prev:
            return BrokenLink(case.number, event.seq, "与前一事件的链接不符（前面的事件被改动或删除）")
        if event_hash(event, case.number) != event.hash:
            return BrokenLink(case.number, event.seq, "内容与哈希不符（事件被改动）")
        prev, expected_seq = event.hash, expected_seq + 1
    stored = Case.objects.filter(pk=case.pk).values_list("last_hash", flat=True).first() or GENESIS
    if prev != stored:
        return BrokenLink(case.number, expected_seq, "最后的事件缺失（办件记录的最新哈希与事件链末尾不符）")
    return None


def verify_all(cases: Iterable[Case]) -> list[BrokenLink]:
    return [broken for case in cases if (broken := verify(case)) is not None]
