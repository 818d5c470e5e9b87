"""The steps of an online application (issue 13), beside cases.services' window steps.

- `submit_online`: the applicant's 申请 from the network host opens a case in
  APPLIED at the chosen point, pinned to the version the draft was started on.
- `receive_online`: the point's window checks it (预审) and receives it: the
  case is RECEIVED and only now does the 5-working-day notice period start.
- `supplement_online`: the applicant uploads the 补正 materials; they are marked
  present and the clock resumes as after a window's 补正材料收齐 (before 受理 the
  5 working days start again from the complete materials, 行政许可法 art. 32).

Each step writes one hash-chained event (services._record) and its notices in
the same transaction. Steps the applicant takes carry no point: the applicant
acted online, not at a window.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from standards.models import Adoption, StandardItemVersion
from tenants.models import ServicePoint

from . import access, clock, routing, workdays
from .errors import CaseError
from .models import BEFORE_ACCEPTANCE, Case, Channel, Status
from .services import (
    NOTIFY_WITHIN_DAYS,
    Actor,
    Applicant,
    MaterialCheck,
    _clean_applicant,
    _record,
    _resume_clock,
    _snapshot,
    checklist,
    missing_materials,
    next_number,
    today,
)

# 网办深度 of the standard version that allow applying online (standards.elements.ONLINE_LEVELS).
ONLINE_LEVELS = ("全程网办", "网上预审")
APPLICANT_ROLE = "applicant"
ONLINE_NOTE = "网上提交电子件"


def allows_online(version: StandardItemVersion) -> bool:
    return version.content.get("online") in ONLINE_LEVELS


def _applicant_actor(user, address: str | None) -> Actor:
    # No point: the applicant acts from the network host, not at a window.
    return Actor(user, None, address)  # type: ignore[arg-type]


def submit_online(user, point: ServicePoint, version: StandardItemVersion, applicant: Applicant,
                  uploaded: list[str], address: str | None = None, note: str = "") -> Case:
    """申请: a new case in APPLIED at `point`, channel online, for the account's `user`."""
    if not allows_online(version):
        raise CaseError(f"“{version.name}”不支持网上申请，请到服务点窗口办理。")
    if not Adoption.objects.of_point(point).filter(item_id=version.item_id).exists():
        raise CaseError(f"{point.name}不受理“{version.name}”，请选择受理该事项的服务点。")
    applicant = _clean_applicant(applicant)
    materials = checklist(version.content, [MaterialCheck(name, present=True, note=ONLINE_NOTE)
                                            for name in dict.fromkeys(uploaded)])
    missing = [row["name"] for row in missing_materials(materials)]
    if missing:
        raise CaseError(f"请上传必需的材料：{'、'.join(missing)}。")
    found = routing.route(version, point, applicant.id_number)
    now = clock.now()
    with transaction.atomic():
        case = Case.objects.create(
            number=next_number(point, timezone.localdate(now)), item=version.item, version=version,
            item_name=version.name, department=version.department, status=Status.APPLIED, channel=Channel.ONLINE,
            origin_point=point, holder=point, deciding_point=found.deciding_point, passed_points=[point.pk],
            applicant_kind=applicant.kind, applicant_name=applicant.name, applicant_id_number=applicant.id_number,
            legal_representative=applicant.legal_representative, phone=applicant.phone, applicant_user=user,
            materials=materials, received_at=now,
            # Provisional: the period starts when a window receives it (receive_online).
            notify_by=workdays.add_working_days(timezone.localdate(now), NOTIFY_WITHIN_DAYS),
        )
        _record(case, _applicant_actor(user, address), APPLICANT_ROLE, "submit_online", before={}, from_status="",
                note=note.strip()[:300] or f"网上申请：{len(materials) - len(missing)}/{len(materials)} 项材料已上传")
        case.save(update_fields=["last_hash"])
    return case


def _locked(case_id: int) -> Case:
    case = Case.objects.select_for_update(of=("self",)).select_related("holder").filter(pk=case_id).first()
    if case is None:
        raise CaseError("办件不存在。")
    return case


def receive_online(case_id: int, actor: Actor) -> Case:
    """收件 of an online application (预审 passed) by a window of the point holding it."""
    with transaction.atomic():
        case = _locked(case_id)
        if not can_proceed(case.receive):
            raise CaseError(f"办件 {case.number} 当前状态为“{case.get_status_display()}”，不能网上申请收件。")
        role = access.role_for(actor.user, actor.point, case, "receive_online")
        before, from_status = _snapshot(case), case.status
        now = clock.now()
        case.received_at = now
        case.notify_by = workdays.add_working_days(timezone.localdate(now), NOTIFY_WITHIN_DAYS)
        case.receive()
        _record(case, actor, role, "receive_online", before=before, from_status=from_status,
                note=f"预审通过，{actor.point.name}收件")
        case.save()
    return case


def supplement_online(case_id: int, user, uploaded: list[str], address: str | None = None) -> Case:
    """补正 online: every listed item uploaded by the applicant; the clock resumes."""
    with transaction.atomic():
        case = _locked(case_id)
        if user is None or case.applicant_user_id != user.pk:
            raise CaseError("办件不存在。")
        if not can_proceed(case.supplement_received):
            raise CaseError(f"办件 {case.number} 当前状态为“{case.get_status_display()}”，不需要补正。")
        missing = [name for name in case.supplement_list if name not in set(uploaded)]
        if missing:
            raise CaseError(f"还需要上传：{'、'.join(missing)}。请一次上传全部补正材料后再提交。")
        before, from_status = _snapshot(case), case.status
        listed = set(case.supplement_list)
        case.materials = [{**row, "present": True, "note": row.get("note") or ONLINE_NOTE}
                          if row["name"] in listed else row for row in case.materials]
        _resume_clock(case)
        if case.resume_status in BEFORE_ACCEPTANCE:
            # Not accepted yet: the period to accept or refuse runs anew from the complete materials.
            case.notify_by = workdays.add_working_days(today(), NOTIFY_WITHIN_DAYS)
        case.supplement_received()
        _record(case, _applicant_actor(user, address), APPLICANT_ROLE, "supplement_online", before=before,
                from_status=from_status, note=f"网上补正：{'、'.join(case.supplement_list)}")
        case.save()
    return case
