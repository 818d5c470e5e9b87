"""Every change to a case goes through here: the window workbench, the inbox,
commands, the demo and (later) the citizens' pages call these functions.

Each step is one transaction: the case row is locked, the transition checked
against the state machine (`Case`, django-fsm), the actor's right to take it at
that point checked (`cases.access`), the fields changed, one hash-chained event
written (`cases.history`), and the notices it causes put in the outbox
(`cases.delivery`), which Celery delivers after commit. A refused step raises
`CaseError` with the message for the user and changes nothing.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_fsm import can_proceed

from standards.models import Adoption
from tenants.models import ServicePoint

from . import access, clock, delegated, delivery, history, identity, routing, workdays
from .errors import CaseError
from .models import ApplicantKind, Case, CaseEvent, Channel, Delivery, Handoff, HandoffStatus, Status

NOTIFY_WITHIN_DAYS = 5  # 行政许可法 art. 32: 补正 or 不予受理 told within 5 working days of 收件
APPEAL_NOTICE = ("申请人如对本决定不服，可以自收到本决定之日起六十日内依法申请行政复议，"
                 "或者自知道或者应当知道作出本决定之日起六个月内依法向人民法院提起行政诉讼。")
ACTION_LABELS = {
    "receive_window": "窗口收件", "hand_up": "转办上报", "return_down": "退回", "accept": "受理",
    "accept_with_tolerance": "容缺受理", "refuse": "不予受理", "request_supplement": "一次性告知补正",
    "supplement_received": "补正材料收齐", "start_review": "开始审查", "start_special": "进入特别程序",
    "end_special": "特别程序结束", "decide": "作出决定", "deliver": "送达", "close": "办结", "withdraw": "撤回",
    # Online applications (cases.online_steps).
    "submit_online": "网上申请", "receive_online": "网上申请收件", "supplement_online": "网上补正",
    # Steps that change no status (record_step): the results' register (cases.results).
    "issue_result": "出具电子文书", "revoke_result": "撤销电子文书", "post_delivered": "邮件妥投",
    "post_tracking": "登记运单号", "charge_fee": "收取费用", "refund_fee": "退还费用",
    # 赋权强园: the county department's 见章盖章 of a park's decision (cases.delegated).
    "confirm_decision": "见章盖章确认",
    # 电子监察 (supervision.monitor, supervision.services): a warning's life in the case's chain.
    "warning_raised": "电子监察预警", "warning_seen": "预警已阅", "warning_explained": "预警情况说明",
    "warning_cleared": "预警解除",
    # 赋权强园: a grant ended and its park's undecided case went back to the county (cases.grants).
    "grant_return": "赋权终止退回县级办理",
}
# The case fields an event records before and after.
TRACKED = ("status", "holder_id", "due_date", "accepted_at", "clock_stopped_on", "resume_status", "supplement_list",
           "special_reason", "special_expected_end", "tolerance_materials", "tolerance_due", "refusal_reason",
           "granted", "decision_text", "delivery", "delivery_detail", "delivered_at", "closed_at", "materials",
           "pickup_code", "post_address", "post_carrier", "post_tracking", "post_delivered_on")


@dataclass(frozen=True)
class Actor:
    """Who acts, at which point, from which address (tenants.signin.client_address)."""

    user: Any
    point: ServicePoint
    address: str | None = None


@dataclass
class Applicant:
    kind: str
    name: str
    id_number: str
    phone: str
    legal_representative: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    power_of_attorney: bool = False  # the agent's 授权委托书 seen in the original


@dataclass
class MaterialCheck:
    """What the clerk saw of one material of the item's list."""

    name: str
    present: bool = False
    original: bool = False
    copies: int = 0
    note: str = ""


@dataclass
class Intake:
    item_code: str
    applicant: Applicant
    materials: list[MaterialCheck] = field(default_factory=list)
    token: str | None = None  # the form's one-time token: a second submit is refused


class DuplicateSubmission(CaseError):
    def __init__(self, case: Case):
        super().__init__(f"这份申请已经提交过，办件编号 {case.number}，没有重复收件。")
        self.case = case


# --- reading the clock --------------------------------------------------------

def today() -> dt.date:
    return clock.today()


def notify_days_left(case: Case, on: dt.date | None = None) -> int | None:
    """Working days left to tell the applicant 补正 or 不予受理 (None once accepted or over)."""
    if case.status not in (Status.APPLIED, Status.RECEIVED):
        return None
    return workdays.working_days_left(on or today(), case.notify_by)


def days_left(case: Case, on: dt.date | None = None) -> int | None:
    """Working days to the due date (negative: overdue); None without one or when over."""
    if case.due_date is None or case.is_final or case.status in (Status.DELIVERED,):
        return None
    return workdays.working_days_left(case.clock_stopped_on or on or today(), case.due_date)


# --- opening a case at the window -------------------------------------------

def _clean_applicant(applicant: Applicant) -> Applicant:
    if applicant.kind not in ApplicantKind.values:
        raise CaseError("请选择申请人类型：个人或企业。")
    name = applicant.name.strip()
    if not name:
        raise CaseError("请填写申请人姓名或企业名称。")
    try:
        if applicant.kind == ApplicantKind.PERSON:
            number = identity.clean_id_card(applicant.id_number, "申请人身份证号")
        else:
            number = identity.clean_credit_code(applicant.id_number)
            if not applicant.legal_representative.strip():
                raise CaseError("企业申请请填写法定代表人。")
        agent_number = ""
        if applicant.agent_name.strip():
            if not applicant.power_of_attorney:
                raise CaseError("代理人办理须核验授权委托书，请核验后勾选“已核验授权委托书原件”。")
            agent_number = identity.clean_id_card(applicant.agent_id_number, "代理人身份证号")
        phone = identity.clean_phone(applicant.phone)
    except identity.IdentityError as error:
        raise CaseError(str(error)) from None
    return Applicant(applicant.kind, name[:100], number, phone, applicant.legal_representative.strip()[:50],
                     applicant.agent_name.strip()[:50], agent_number, bool(agent_number))


def checklist(version_content: dict, checks: list[MaterialCheck]) -> list[dict]:
    """The item's materials list with what the clerk saw of each."""
    seen = {check.name: check for check in checks}
    unknown = sorted(set(seen) - {m["name"] for m in version_content.get("materials", [])})
    if unknown:
        raise CaseError(f"材料“{'、'.join(unknown)}”不在该事项的材料清单中。")
    rows = []
    for material in version_content.get("materials", []):
        check = seen.get(material["name"], MaterialCheck(material["name"]))
        rows.append({
            "name": material["name"], "required": material.get("required", True),
            "tolerable": bool(material.get("tolerable")), "form": material.get("form", ""),
            "copies_required": material.get("copies", 1), "present": bool(check.present),
            "original": bool(check.original), "copies": max(0, int(check.copies or 0)),
            "note": check.note.strip()[:200],
        })
    return rows


def missing_materials(case_or_rows) -> list[dict]:
    """Required materials not (yet) handed in: what the 一次性告知书 lists."""
    rows = case_or_rows.materials if isinstance(case_or_rows, Case) else case_or_rows
    return [row for row in rows if row["required"] and not row["present"]]


def next_number(point: ServicePoint, day: dt.date) -> str:
    """<point's 12-digit region code>-<yyyymmdd>-<4-digit sequence>, unique across the network.

    The sequence row is taken with an upsert that holds its lock until the
    intake commits: concurrent intakes at one point wait their turn, and a
    failed intake rolls its number back, so a clerk sees no gaps."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_casenumbersequence (point_id, day, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (point_id, day) DO UPDATE SET last = cases_casenumbersequence.last + 1 RETURNING last",
            [point.pk, day])
        (sequence,) = cursor.fetchone()
    return f"{point.region_code}-{day:%Y%m%d}-{sequence:04d}"


def open_case(actor: Actor, intake: Intake, *, channel: str = Channel.WINDOW) -> Case:
    """收件 at the window: a new case for an item the point accepts."""
    point = actor.point
    role = access.window_role(actor.user, point)
    if role is None:
        raise CaseError(f"您在{point.name}没有窗口人员或管理员角色，不能收件。")
    code = (intake.item_code or "").strip()
    adoption = Adoption.objects.of_point(point).filter(item__code=code).select_related("version").first()
    if adoption is None:
        raise CaseError(f"{point.name}不受理事项“{code or '（未填写）'}”："
                        "请核对事项编码，或引导申请人到受理该事项的服务点。")
    version = adoption.version
    applicant = _clean_applicant(intake.applicant)
    materials = checklist(version.content, intake.materials)
    found = routing.route(version, point, applicant.id_number)
    if intake.token and (existing := Case.objects.filter(intake_token=intake.token).first()) is not None:
        raise DuplicateSubmission(existing)
    now = clock.now()
    try:
        with transaction.atomic():
            case = Case.objects.create(
                number=next_number(point, timezone.localdate(now)), item=version.item, version=version,
                item_name=version.name, department=version.department, status=Status.RECEIVED, channel=channel,
                origin_point=point, holder=point, deciding_point=found.deciding_point, passed_points=[point.pk],
                applicant_kind=applicant.kind, applicant_name=applicant.name,
                applicant_id_number=applicant.id_number, legal_representative=applicant.legal_representative,
                agent_name=applicant.agent_name, agent_id_number=applicant.agent_id_number,
                agent_power_of_attorney=applicant.power_of_attorney, phone=applicant.phone,
                materials=materials, received_at=now,
                notify_by=workdays.add_working_days(timezone.localdate(now), NOTIFY_WITHIN_DAYS),
                intake_token=intake.token or None,
            )
            _record(case, actor, role, "receive_window", before={}, from_status="",
                    note=f"收件：{len(materials) - len(missing_materials(materials))}/{len(materials)} 项材料已收")
            case.save(update_fields=["last_hash"])
    except IntegrityError:
        existing = Case.objects.filter(intake_token=intake.token).first() if intake.token else None
        if existing is not None:
            raise DuplicateSubmission(existing) from None
        raise
    return case


# --- the steps of a case ------------------------------------------------------

def _snapshot(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in TRACKED}


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _record(case: Case, actor: Actor, role: str, action: str, *, before: dict[str, Any], from_status: str,
            note: str = "", public: bool = True) -> CaseEvent:
    after = _snapshot(case)
    changes = {name: [_json(before.get(name)), _json(value)] for name, value in after.items()
               if before.get(name) != value and not (not before and value in ("", None, [], {}))}
    seq = CaseEvent.objects.filter(case=case).count() + 1
    user = actor.user if getattr(actor.user, "pk", None) else None
    event = CaseEvent(
        case=case, seq=seq, action=action, from_status=from_status, to_status=case.status,
        actor=user, actor_name=(user.get_full_name() or user.username) if user else "系统",
        point=actor.point, role=role, at=clock.now(), address=actor.address or None, changes=changes,
        note=note, public=public,
    )
    history.seal(event, case)
    event.save()
    case.last_hash = event.hash
    delivery.notices_for(case, event)
    return event


def _step(case_id: int, actor: Actor, action: str, change, *, note: str = "", public: bool = True) -> Case:
    """Lock the case, check the transition and the actor, apply `change`, record the event."""
    with transaction.atomic():
        # Only the case row: FOR UPDATE over the join would lock the holder's
        # ServicePoint row too, serialising every step at a point and deadlocking
        # against steps at other points (their inserts key-share-lock point rows).
        # The three points come in the same query: the checks and the notices read them.
        case = (Case.objects.select_for_update(of=("self",)).select_related("holder", "deciding_point", "origin_point")
                .filter(pk=case_id).first())
        if case is None:
            raise CaseError("办件不存在。")
        method = getattr(case, "accept" if action == "accept_with_tolerance" else action)
        if not can_proceed(method):
            raise CaseError(f"办件 {case.number} 当前状态为“{case.get_status_display()}”，"
                            f"不能{ACTION_LABELS[action]}。")
        role = access.role_for(actor.user, actor.point, case, action)
        before, from_status = _snapshot(case), case.status
        change(case)  # may refuse with CaseError before anything is written
        method()
        _record(case, actor, role, action, before=before, from_status=from_status, note=note, public=public)
        case.save()
    return case


def _required(text: str, what: str, limit: int = 1000) -> str:
    text = (text or "").strip()
    if not text:
        raise CaseError(f"请填写{what}。")
    return text[:limit]


def pending_upward(case: Case) -> Handoff | None:
    """The handoff that brought the case to its holder and awaits its answer (None at the accepting point)."""
    return case.handoffs.filter(to_point=case.holder, upward=True, status=HandoffStatus.PENDING).first()


def _take_pending(case: Case, actor: Actor, now: dt.datetime) -> None:
    pending = pending_upward(case)
    if pending is not None:
        pending.status, pending.answered_at, pending.answered_by = HandoffStatus.TAKEN, now, actor.user
        pending.save(update_fields=["status", "answered_at", "answered_by"])


def hand_up(case_id: int, actor: Actor, note: str = "") -> Case:
    """转办上报: to the next point on the way to the deciding one."""
    def change(case: Case) -> None:
        target = routing.next_hop(case.holder, case.deciding_point)
        if target is None:
            raise CaseError(f"{case.holder.name}就是“{case.item_name}”的决定机关，请直接受理或不予受理。")
        now = clock.now()
        _take_pending(case, actor, now)
        Handoff.objects.create(case=case, from_point=case.holder, to_point=target, upward=True, sent_at=now,
                               sent_by=actor.user, note=note.strip()[:300])
        case.holder = target
        if target.pk not in case.passed_points:
            case.passed_points = [*case.passed_points, target.pk]

    return _step(case_id, actor, "hand_up", change, note=note.strip())


def return_down(case_id: int, actor: Actor, reason: str) -> Case:
    """退回: back to the point that sent it up, with a reason (not a 不予受理)."""
    reason = _required(reason, "退回理由", 300)

    def change(case: Case) -> None:
        pending = pending_upward(case)
        if pending is None:
            raise CaseError(f"办件 {case.number} 是在{case.holder.name}收件的，没有可退回的下级服务点。")
        pending.status, pending.answered_at, pending.answered_by = HandoffStatus.RETURNED, clock.now(), actor.user
        pending.return_reason = reason
        pending.save(update_fields=["status", "answered_at", "answered_by", "return_reason"])
        case.holder = pending.from_point

    return _step(case_id, actor, "return_down", change, note=reason)


def accept(case_id: int, actor: Actor, *, tolerated: list[str] | None = None,
           tolerance_due: dt.date | None = None) -> Case:
    """受理 at the deciding point; with `tolerated` material names, 容缺受理."""
    tolerated = [name for name in (tolerated or []) if name]

    def change(case: Case) -> None:
        missing = {row["name"]: row for row in missing_materials(case)}
        if tolerated:
            not_missing = [name for name in tolerated if name not in missing]
            if not_missing:
                raise CaseError(f"材料“{'、'.join(not_missing)}”已收到或不是必需材料，无需容缺。")
            key = [name for name in tolerated if not missing[name]["tolerable"]]
            if key:
                raise CaseError(f"“{'、'.join(key)}”是该事项的关键材料，不能容缺受理。")
            if tolerance_due is None or tolerance_due <= today():
                raise CaseError("请填写容缺材料的补交期限（今天以后的日期）。")
        untreated = sorted(set(missing) - set(tolerated))
        if untreated:
            raise CaseError(f"还缺少必需材料：{'、'.join(untreated)}。请一次性告知补正，"
                            f"或对可容缺的材料容缺受理。")
        now = clock.now()
        _take_pending(case, actor, now)
        case.accepted_at = now
        case.due_date = workdays.add_working_days(timezone.localdate(now), case.version.promised_days)
        case.tolerance_materials = tolerated
        case.tolerance_due = tolerance_due if tolerated else None

    action = "accept_with_tolerance" if tolerated else "accept"
    note = f"容缺材料：{'、'.join(tolerated)}，{tolerance_due} 前补交" if tolerated else ""
    return _step(case_id, actor, action, change, note=note)


def refuse(case_id: int, actor: Actor, reason: str) -> Case:
    """不予受理: written reasons and the notice of the right to appeal; the notice goes down to the citizen."""
    reason = _required(reason, "不予受理的理由")

    def change(case: Case) -> None:
        now = clock.now()
        _take_pending(case, actor, now)
        case.refusal_reason = f"{reason}\n{APPEAL_NOTICE}"
        _send_down(case, actor, now, "不予受理告知书")

    return _step(case_id, actor, "refuse", change, note=reason)


def request_supplement(case_id: int, actor: Actor, items: list[str], note: str = "") -> Case:
    """补正: one complete list of what to supplement; the clock stops."""
    items = list(dict.fromkeys(name.strip() for name in items if name and name.strip()))
    if not items:
        raise CaseError("请列出需要补正的全部材料（一次性告知）。")

    def change(case: Case) -> None:
        case.resume_status = case.status
        case.supplement_list = items
        case.clock_stopped_on = today()

    return _step(case_id, actor, "request_supplement", change, note=note.strip() or "、".join(items))


def _resume_clock(case: Case) -> None:
    if case.due_date and case.clock_stopped_on:
        stopped = workdays.working_days_between(case.clock_stopped_on, today())
        case.due_date = workdays.add_working_days(case.due_date, stopped)
    case.clock_stopped_on = None


def supplement_received(case_id: int, actor: Actor) -> Case:
    """补正材料收齐: the listed materials are marked present; the clock resumes."""
    def change(case: Case) -> None:
        listed = set(case.supplement_list)
        case.materials = [{**row, "present": True} if row["name"] in listed else row for row in case.materials]
        _resume_clock(case)

    return _step(case_id, actor, "supplement_received", change)


def start_review(case_id: int, actor: Actor) -> Case:
    return _step(case_id, actor, "start_review", lambda case: None)


def start_special(case_id: int, actor: Actor, reason: str, expected_end: dt.date | None) -> Case:
    """特别程序 (听证、检验检测、专家评审): the clock stops, with a reason and an expected end."""
    reason = _required(reason, "特别程序的事由", 300)
    if expected_end is None or expected_end < today():
        raise CaseError("请填写特别程序的预计结束日期（不早于今天）。")

    def change(case: Case) -> None:
        case.special_reason, case.special_expected_end = reason, expected_end
        case.resume_status = Status.REVIEW
        case.clock_stopped_on = today()

    return _step(case_id, actor, "start_special", change, note=reason)


def end_special(case_id: int, actor: Actor, note: str = "") -> Case:
    return _step(case_id, actor, "end_special", _resume_clock, note=note.strip())


def decide(case_id: int, actor: Actor, *, granted: bool, text: str) -> Case:
    """决定 (准予 / 不予); the result goes down to the point where the citizen is, for 送达."""
    text = _required(text, "决定内容")

    def change(case: Case) -> None:
        now = clock.now()
        case.granted, case.decision_text, case.decided_at = granted, text, now
        case.pickup_code = f"{secrets.randbelow(10 ** 6):06d}"  # shown on the receipt, sent in the SMS
        if not granted:
            case.decision_text = f"{text}\n{APPEAL_NOTICE}"
        _send_down(case, actor, now, "决定")

    return _step(case_id, actor, "decide", change, note=("准予：" if granted else "不予：") + text)


def _send_down(case: Case, actor: Actor, now: dt.datetime, what: str) -> None:
    if case.holder_id != case.origin_point_id:
        Handoff.objects.create(case=case, from_point=case.holder, to_point=case.origin_point, upward=False,
                               status=HandoffStatus.DELIVERED, sent_at=now, sent_by=actor.user,
                               note=f"{what}下达至{case.origin_point.name}送达")
        case.holder = case.origin_point


@dataclass
class Post:
    """免费邮寄: where the result goes; the tracking number may come later (cases.results.import_tracking)."""

    address: str
    carrier: str = ""
    tracking: str = ""


def deliver(case_id: int, actor: Actor, *, method: str, detail: str = "", post: Post | None = None,
            pickup_code: str = "") -> Case:
    """送达 at the point where the citizen is: window pick-up (the applicant's pick-up code, when
    given, must match the one the decision SMS sent), free post (an address) or electronic
    (cases.results.deliver_electronic, which issues the PDF in the same transaction)."""
    if method not in Delivery.values:
        raise CaseError("请选择送达方式：窗口领取、免费邮寄或电子送达。")

    def change(case: Case) -> None:
        if (grant := delegated.awaiting_confirmation(case)) is not None:
            raise CaseError(f"该决定由{case.deciding_point.name}依赋权作出，须经{grant.grantor.name}{grant.department}"
                            "见章盖章确认后才能送达。")
        allowed = case.version.content.get("delivery", [])
        label = Delivery(method).label
        if allowed and label not in allowed:
            raise CaseError(f"“{case.item_name}”的送达方式只有{'、'.join(allowed)}。")
        if method == Delivery.WINDOW and pickup_code.strip() and case.pickup_code and \
                not hmac.compare_digest(pickup_code.strip(), case.pickup_code):
            raise CaseError("取件码不正确，请核对申请人出示的取件码，或核验其身份证件后不填取件码送达。")
        if method == Delivery.POST:
            address = (post.address if post else detail).strip()
            if not address:
                raise CaseError("邮寄送达请填写收件地址。")
            case.post_address = address[:200]
            case.post_carrier = (post.carrier if post else "").strip()[:30]
            case.post_tracking = (post.tracking if post else "").strip()[:40]
        case.delivery, case.delivery_detail, case.delivered_at = method, detail.strip()[:300], clock.now()

    return _step(case_id, actor, "deliver", change)


def record_step(case_id: int, actor: Actor, action: str, role: str, change, *, note: str = "",
                public: bool = True) -> Case:
    """A step that moves no status (电子文书出具/撤销, 妥投): the case locked, `change`
    applied (it may refuse with CaseError), one event in the chain. The caller
    (cases.results) has checked that the actor may take it, in `role`."""
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None:
            raise CaseError("办件不存在。")
        before = _snapshot(case)
        change(case)
        _record(case, actor, role, action, before=before, from_status=case.status, note=note, public=public)
        case.save()
    return case


def record_fee(case_id: int, actor: Actor, amount, note: str = "") -> Case:
    """收费 (a positive amount) or its refund (negative) at the window of the holder, one
    event each; `Case.fee_charged` keeps the total, which 电子监察 checks against the
    standard's 收费标准."""
    try:
        amount = decimal.Decimal(str(amount).strip()).quantize(decimal.Decimal("0.01"))
    except (decimal.InvalidOperation, ValueError):
        raise CaseError("请填写正确的金额（元，最多两位小数）。") from None
    if amount == 0 or not amount.is_finite() or abs(amount) >= 10 ** 8:
        raise CaseError("请填写正确的金额（元，最多两位小数）。")
    with transaction.atomic():
        case = Case.objects.select_related("holder").filter(pk=case_id).first()
        if case is None:
            raise CaseError("办件不存在。")
        role = access.role_for(actor.user, actor.point, case, "charge_fee")

        def change(locked: Case) -> None:
            if locked.fee_charged + amount < 0:
                raise CaseError(f"退还金额超过已收费用（{locked.fee_charged} 元）。")
            locked.fee_charged += amount

        action = "charge_fee" if amount > 0 else "refund_fee"
        text = f"{'收取' if amount > 0 else '退还'}费用 {abs(amount)} 元"
        if note.strip():
            text += f"：{note.strip()[:200]}"
        return record_step(case_id, actor, action, role, change, note=text, public=True)


def confirm_decision(case_id: int, actor: Actor) -> Case:
    """见章盖章: the county department confirms a park's decision under a grant
    that asks for it (cases.delegated), without reviewing it again; until then
    the decision is not delivered. One event; the county joins the case's points."""
    case = Case.objects.select_related("deciding_point").filter(pk=case_id).first()
    if case is None:
        raise CaseError("办件不存在。")
    grant = delegated.awaiting_confirmation(case)
    if grant is None:
        if delegated.confirmed(case):
            raise CaseError(f"办件 {case.number} 已经见章盖章确认，不需要再确认。")
        raise CaseError(f"办件 {case.number} 不是待见章盖章确认的园区决定（未作出决定，或其赋权不要求县级确认）。")
    role = delegated.confirmer_role(actor.user, actor.point, grant)
    if role is None:
        raise CaseError(f"只有{grant.grantor.name}{grant.department}的工作人员可以见章盖章确认该决定。")

    def change(locked: Case) -> None:
        if locked.status != Status.DECIDED or delegated.confirmed(locked):
            raise CaseError(f"办件 {locked.number} 当前状态为“{locked.get_status_display()}”，不能见章盖章确认。")
        if actor.point.pk not in locked.passed_points:
            locked.passed_points = [*locked.passed_points, actor.point.pk]

    return record_step(case.pk, actor, delegated.CONFIRM_ACTION, role, change,
                       note=f"{grant.grantor.name}{grant.department}见章盖章确认{case.deciding_point.name}的决定"
                            f"（{grant.instrument_number}），未重新审查")


def close(case_id: int, actor: Actor) -> Case:
    def change(case: Case) -> None:
        case.closed_at = clock.now()

    return _step(case_id, actor, "close", change)


def withdraw(case_id: int, actor: Actor, reason: str) -> Case:
    """撤回 at the applicant's request (written, signed at the window)."""
    reason = _required(reason, "撤回说明", 300)

    def change(case: Case) -> None:
        case.clock_stopped_on = None

    return _step(case_id, actor, "withdraw", change, note=reason)
