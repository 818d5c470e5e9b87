"""The monitor (Celery beat, supervision.tasks.check_warnings): for each county
network, what its current rules find now, compared with the warnings in force.

- A finding without its warning raises it, all or nothing (a savepoint; a
  batch of them commits together): it inserts the warning (INSERT … ON
  CONFLICT DO NOTHING on the unique (case, rule, colour, anchor): a second
  run, or a run racing this one, inserts nothing and writes nothing else),
  writes `warning_raised` into the case's chain (cases.services.record_step)
  and puts a 监察预警 notice for the point's
  supervisors in the cases outbox — and for a red one also for the point above.
- A warning in force whose finding is gone is cleared the same way (an UPDATE
  … WHERE cleared_at IS NULL, then `warning_cleared` in the chain).

A worker killed mid-run leaves each warning either wholly raised (row, event,
notices) or not at all; the next run raises the rest, once.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from cases import clock, services, workdays
from cases.models import OPEN, Case, CaseEvent, Handoff, HandoffStatus, Notice, NoticeKind, Status
from tenants.models import ServicePoint, Tier

from . import rules
from .models import Colour, Rule, RuleSet, Warning

log = logging.getLogger("yimen.supervision")
TZ = ZoneInfo("Asia/Shanghai")
OFFICE_HOURS = (9, 17)  # a working day counts 8 working hours, 09:00–17:00
MAX_HOURS_SPAN_DAYS = 60  # past this a pending handoff is red whatever the thresholds
BATCH = 25  # warnings per transaction (each in its own savepoint)
REOPENED_LOOKBACK_DAYS = 30  # a run reads the events of cases written to since then
# Steps after 办结 that are part of a closed case's normal life, not a reopening.
AFTER_CLOSE = {"issue_result", "revoke_result", "post_delivered", "post_tracking", "charge_fee", "refund_fee",
               "warning_raised", "warning_seen", "warning_explained", "warning_cleared"}
FREE_FEES = {"不收费", "免费", "免收费", "无", "不收取费用"}
CLEARED = {
    Rule.DUE: "办件已送达、办结，或办结期限已调整",
    Rule.NOTIFY: "已受理，或已告知补正、不予受理",
    Rule.HANDOFF: "转办已被接收或退回",
    Rule.FEE: "费用已退还，或事项标准不再是不收费",
    Rule.REOPENED: "办件已重新办结",
}


@dataclass(frozen=True)
class Finding:
    case_id: int
    point_id: int
    rule: str
    colour: str
    anchor: str
    reason: str

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.case_id, self.rule, self.colour, self.anchor)


@dataclass
class Result:
    raised: int = 0
    cleared: int = 0
    counties: int = 0
    errors: list[str] = field(default_factory=list)


def is_free(fee_text: str) -> bool:
    text = (fee_text or "").strip().rstrip("。")
    return text in FREE_FEES or text.startswith("不收费")


def working_hours(start: dt.datetime, end: dt.datetime) -> float:
    """Office hours on working days between two moments (cases.workdays' calendar)."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(TZ), end.astimezone(TZ)
    if (end.date() - start.date()).days > MAX_HOURS_SPAN_DAYS:
        return float(MAX_HOURS_SPAN_DAYS * (OFFICE_HOURS[1] - OFFICE_HOURS[0]))
    total, day = 0.0, start.date()
    while day <= end.date():
        if workdays.is_workday(day):
            opens = dt.datetime.combine(day, dt.time(OFFICE_HOURS[0]), TZ)
            closes = dt.datetime.combine(day, dt.time(OFFICE_HOURS[1]), TZ)
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(0.0, overlap) / 3600
        day += dt.timedelta(days=1)
    return total


# --- what the rules find ------------------------------------------------------------

def _cases(county: ServicePoint):
    return Case.objects.filter(holder__region_code__startswith=county.county_code)


def _due(county, rule_set: RuleSet, today: dt.date) -> list[Finding]:
    horizon = workdays.add_working_days(today, rule_set.due_yellow_days)
    found = []
    rows = (_cases(county).filter(status__in=OPEN, due_date__isnull=False, due_date__lte=horizon)
            .exclude(status=Status.DELIVERED).only("pk", "holder_id", "due_date", "clock_stopped_on", "status"))
    for case in rows:
        left = workdays.working_days_left(case.clock_stopped_on or today, case.due_date)
        if left <= -rule_set.due_red_overdue_days:
            colour, reason = Colour.RED, f"已超过办结期限 {-left} 个工作日（期限 {case.due_date:%Y-%m-%d}）"
        elif left <= rule_set.due_yellow_days:
            colour = Colour.YELLOW
            reason = (f"距办结期限还有 {left} 个工作日（期限 {case.due_date:%Y-%m-%d}）" if left >= 0 else
                      f"已超过办结期限 {-left} 个工作日（期限 {case.due_date:%Y-%m-%d}）")
        else:
            continue
        found.append(Finding(case.pk, case.holder_id, Rule.DUE, colour, case.due_date.isoformat(), reason))
    return found


def _notify(county, rule_set: RuleSet, today: dt.date) -> list[Finding]:
    horizon = workdays.add_working_days(today, rule_set.notify_yellow_days)
    found = []
    rows = _cases(county).filter(status=Status.RECEIVED, notify_by__lte=horizon).only("pk", "holder_id", "notify_by")
    for case in rows:
        left = workdays.working_days_left(today, case.notify_by)
        if left < 0:
            colour, reason = Colour.RED, (f"收件后 {rules.LEGAL_NOTIFY_DAYS} 个工作日内未受理，也未告知补正或不予受理"
                                          f"（期限 {case.notify_by:%Y-%m-%d}）")
        elif left <= rule_set.notify_yellow_days:
            colour, reason = Colour.YELLOW, (f"补正/不予受理告知期限还有 {left} 个工作日"
                                             f"（{case.notify_by:%Y-%m-%d}），尚未受理")
        else:
            continue
        found.append(Finding(case.pk, case.holder_id, Rule.NOTIFY, colour, case.notify_by.isoformat(), reason))
    return found


def _handoffs(county, rule_set: RuleSet, now: dt.datetime) -> list[Finding]:
    found = []
    rows = (Handoff.objects.filter(status=HandoffStatus.PENDING, upward=True,
                                   to_point__region_code__startswith=county.county_code)
            .select_related("from_point").only("pk", "case_id", "to_point_id", "sent_at", "from_point__name"))
    for handoff in rows:
        hours = working_hours(handoff.sent_at, now)
        if hours >= rule_set.handoff_red_hours:
            colour = Colour.RED
        elif hours >= rule_set.handoff_yellow_hours:
            colour = Colour.YELLOW
        else:
            continue
        reason = f"{handoff.from_point.name}转来后 {int(hours)} 个工作小时未接收（转办于 " \
                 f"{handoff.sent_at.astimezone(TZ):%Y-%m-%d %H:%M}）"
        found.append(Finding(handoff.case_id, handoff.to_point_id, Rule.HANDOFF, colour, f"h{handoff.pk}", reason))
    return found


def _fees(county) -> list[Finding]:
    found: list[Finding] = []
    rows = _cases(county).filter(fee_charged__gt=0).select_related("version").only(
        "pk", "holder_id", "fee_charged", "version__content")
    charged = {case.pk: case for case in rows if is_free(case.version.content.get("fee", ""))}
    if not charged:
        return found
    last: dict[int, tuple[int, int | None]] = {}
    for case_id, seq, point_id in (CaseEvent.objects.filter(case_id__in=charged, action="charge_fee")
                                   .order_by("case_id", "seq").values_list("case_id", "seq", "point_id")):
        last[case_id] = (seq, point_id)
    for case_id, case in charged.items():
        seq, charged_at = last.get(case_id, (0, None))
        found.append(Finding(case_id, charged_at or case.holder_id, Rule.FEE, Colour.RED, f"e{seq}",
                             f"事项标准为不收费，却已收取 {case.fee_charged} 元"))
    return found


def _reopened(county, now: dt.datetime) -> list[Finding]:
    # Only cases written to lately (a reopening writes the case) and those already warned
    # of: the whole history of a county's closed cases is not read every minute.
    recent = Case.objects.filter(holder__region_code__startswith=county.county_code,
                                 updated_at__gte=now - dt.timedelta(days=REOPENED_LOOKBACK_DAYS))
    warned = Warning.objects.active().filter(rule=Rule.REOPENED, point__region_code__startswith=county.county_code)
    closed_before = CaseEvent.objects.filter(case=OuterRef("case"), action="close", seq__lt=OuterRef("seq"))
    suspects = set(CaseEvent.objects.filter(Q(case__in=recent) | Q(case__in=warned.values("case_id")))
                   .filter(Exists(closed_before)).exclude(action__in=AFTER_CLOSE | {"close"})
                   .values_list("case_id", flat=True))
    if not suspects:
        return []
    events: dict[int, list[tuple[int, str, int | None, str]]] = {}
    for row in (CaseEvent.objects.filter(case_id__in=suspects).exclude(action__in=AFTER_CLOSE)
                .order_by("case_id", "seq").values_list("case_id", "seq", "action", "point_id", "actor_name")):
        events.setdefault(row[0], []).append(row[1:])
    holders = dict(Case.objects.filter(pk__in=suspects).values_list("pk", "holder_id"))
    found = []
    for case_id, rows in events.items():
        closed, anchor = False, None
        for seq, action, point_id, actor_name in rows:
            if action == "close":
                closed, anchor = True, None
            elif closed and anchor is None:
                anchor = (seq, action, point_id, actor_name)
        if anchor is not None:
            seq, action, point_id, actor_name = anchor
            label = services.ACTION_LABELS.get(action, action)
            found.append(Finding(case_id, point_id or holders[case_id], Rule.REOPENED, Colour.RED, f"e{seq}",
                                 f"办结后又有办理：第 {seq} 个事件“{label}”（{actor_name}）"))
    return found


def findings(county: ServicePoint, rule_set: RuleSet, now: dt.datetime | None = None) -> list[Finding]:
    now = now or clock.now()
    today = now.astimezone(TZ).date()
    return [*_due(county, rule_set, today), *_notify(county, rule_set, today), *_handoffs(county, rule_set, now),
            *_fees(county), *_reopened(county, now)]


# --- raising and clearing -------------------------------------------------------

def _insert(finding: Finding, rule_set: RuleSet, now: dt.datetime) -> int | None:
    """The new warning's id, or None if it exists already (the unique constraint decides)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Warning._meta.db_table} (case_id, point_id, rule, colour, anchor, rule_set_id, reason, "
            "raised_at, explanation, cleared_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '') "
            "ON CONFLICT (case_id, rule, colour, anchor) DO NOTHING RETURNING id",
            [finding.case_id, finding.point_id, finding.rule, finding.colour, finding.anchor, rule_set.pk,
             finding.reason[:300], now])
        row = cursor.fetchone()
    return row[0] if row else None


def _text(warning: Warning) -> str:
    return (f"{warning.get_colour_display()}·{warning.get_rule_display()}：{warning.reason}"
            f"（监察规则第 {warning.rule_set.version} 版，预警编号 {warning.pk}）")


def raise_warning(finding: Finding, rule_set: RuleSet, now: dt.datetime | None = None) -> Warning | None:
    """Raise one warning: the row, its event in the case's chain and its notices, or nothing at all."""
    now = now or clock.now()
    with transaction.atomic():
        warning_id = _insert(finding, rule_set, now)
        if warning_id is None:
            return None
        warning = Warning.objects.select_related("point", "point__parent", "rule_set").get(pk=warning_id)
        actor = services.Actor(None, warning.point)
        case = services.record_step(finding.case_id, actor, "warning_raised", "monitor", lambda case: None,
                                    note=_text(warning), public=False)
        targets: list[ServicePoint] = [warning.point]
        parent = warning.point.parent
        if warning.colour == Colour.RED and parent is not None:
            targets.append(parent)  # a red warning goes up one level too
        Notice.objects.bulk_create([
            Notice(case=case, kind=NoticeKind.SUPERVISION, key=f"warn:{warning.pk}:{point.pk}", point=point,
                   text=f"【电子监察】办件 {case.number}（{case.item_name}）{_text(warning)}"[:500])
            for point in targets])
    return warning


def clear_warning(warning: Warning, reason: str, now: dt.datetime | None = None) -> bool:
    """Clear a warning in force, once: the row and its event, or nothing."""
    now = now or clock.now()
    with transaction.atomic():
        done = Warning.objects.filter(pk=warning.pk, cleared_at__isnull=True).update(
            cleared_at=now, cleared_reason=reason[:200])
        if not done:
            return False
        services.record_step(warning.case_id, services.Actor(None, warning.point), "warning_cleared", "monitor",
                             lambda case: None, public=False,
                             note=f"{warning.get_colour_display()}·{warning.get_rule_display()}解除：{reason}"
                                  f"（预警编号 {warning.pk}）")
    return True


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def check_county(county: ServicePoint, now: dt.datetime | None = None, result: Result | None = None) -> Result:
    """One county: clear what is gone, raise what is new. A batch of warnings commits
    together (one commit instead of BATCH), each in a savepoint of its own: a failing
    case rolls back its own warning only, a killed worker the whole batch."""
    result = result or Result()
    now = now or clock.now()
    rule_set = rules.current(county)
    found = findings(county, rule_set, now)
    keys = {f.key for f in found}
    active = list(Warning.objects.active().filter(point__region_code__startswith=county.county_code)
                  .select_related("rule_set"))
    gone = sorted((w for w in active if (w.case_id, w.rule, w.colour, w.anchor) not in keys),
                  key=lambda w: (w.case_id, w.pk))
    for batch in _batches(gone, BATCH):
        with transaction.atomic():
            for warning in batch:
                escalated = (warning.colour == Colour.YELLOW and
                             (warning.case_id, warning.rule, Colour.RED, warning.anchor) in keys)
                try:
                    if clear_warning(warning, "已升级为红牌" if escalated else CLEARED[warning.rule], now):
                        result.cleared += 1
                except Exception as error:  # noqa: BLE001 - one broken case must not stop the county's run
                    log.exception("warning %s not cleared", warning.pk)
                    result.errors.append(f"{warning.case_id}: {error}")
    # Those already there (raised or cleared) are skipped without a write; the
    # constraint in raise_warning is what makes a racing or repeated insert a no-op.
    known = set(Warning.objects.filter(case_id__in={f.case_id for f in found})
                .values_list("case_id", "rule", "colour", "anchor"))
    # In a fixed order: two runs racing each other take the cases' locks alike.
    new = sorted((finding for finding in found if finding.key not in known), key=lambda f: f.key)
    for batch in _batches(new, BATCH):
        with transaction.atomic():
            for finding in batch:
                try:
                    if raise_warning(finding, rule_set, now) is not None:
                        result.raised += 1
                except Exception as error:  # noqa: BLE001 - one broken case must not stop the county's run
                    log.exception("warning for case %s not raised", finding.case_id)
                    result.errors.append(f"{finding.case_id}: {error}")
    result.counties += 1
    return result


def check(county: ServicePoint | None = None, now: dt.datetime | None = None) -> Result:
    """Every county network (or one): raise what the rules find, clear what they no longer find."""
    result = Result()
    counties = [county] if county is not None else list(ServicePoint.objects.filter(tier=Tier.COUNTY).order_by("pk"))
    for point in counties:
        check_county(point, now, result)
    return result
