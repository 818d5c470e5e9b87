"""A point's inbox: the cases it holds now and why each waits here, and the
inbox notices of the outbox (cases.delivery) it has not read yet.

An inbox notice is delivered by being shown here; opening the case at the
point marks its notices read (`mark_read`), the only change this module makes.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from tenants.models import ServicePoint

from .models import Case, DeskAssignment, Handoff, HandoffStatus, Notice, NoticeKind, Status


@dataclass(frozen=True)
class Waiting:
    case: Case
    reason: str
    new: bool  # an unread inbox notice of this point is about it


def unread_notices(point: ServicePoint):
    return (Notice.objects.of_point(point).filter(kind=NoticeKind.INBOX, read_at__isnull=True)
            .select_related("case").order_by("-created_at"))


def _reason(case: Case, point: ServicePoint) -> str:
    handoffs = list(case.handoffs.all())  # prefetched, oldest first
    pending = [h for h in handoffs if h.to_point_id == point.pk and h.upward and h.status == HandoffStatus.PENDING]
    if pending:
        return f"新转来（来自{pending[-1].from_point.name}）"
    last = handoffs[-1] if handoffs else None
    if last is not None and last.status == HandoffStatus.RETURNED and last.from_point_id == point.pk:
        return f"被{last.to_point.name}退回：{last.return_reason}"
    if case.status == Status.APPLIED:
        return "网上申请，待预审收件"
    if case.status == Status.DECIDED:
        return "决定已下达，待送达" if case.origin_point_id == point.pk else "已决定，待送达"
    if case.status == Status.DELIVERED:
        return "已送达，待办结"
    if case.status == Status.SUPPLEMENT:
        return "等待申请人补正"
    if case.status == Status.SPECIAL:
        return "特别程序中"
    if case.status in (Status.ACCEPTED, Status.REVIEW):
        return "审查、决定"
    if case.deciding_point_id == point.pk:
        return "待受理"
    return "本点收件，待转办上报"


def waiting_at(point: ServicePoint, cases=None) -> list[Waiting]:
    """The open cases `point` holds (or those of `cases`), each with why it waits here."""
    handoffs = Handoff.objects.select_related("from_point", "to_point").order_by("sent_at", "pk")
    cases = (cases if cases is not None else Case.objects.held_by(point)).open()
    cases = cases.select_related("holder", "origin_point").prefetch_related(Prefetch("handoffs", queryset=handoffs))
    unread = set(unread_notices(point).values_list("case_id", flat=True))
    return [Waiting(case, _reason(case, point), case.pk in unread) for case in cases.order_by("-updated_at")[:500]]


def desk_departments(user, point: ServicePoint) -> list[str]:
    return sorted(set(DeskAssignment.objects.of_point(point).filter(user=user).values_list("department", flat=True)))


def point_departments(point: ServicePoint) -> list[str]:
    return sorted(set(DeskAssignment.objects.of_point(point).values_list("department", flat=True)))


def department_queue(point: ServicePoint, departments: list[str]):
    """The cases `point` decides for these departments and holds now (分类审批)."""
    return Case.objects.held_by(point).filter(deciding_point=point, department__in=departments)


def mark_read(point: ServicePoint, case: Case) -> int:
    """The point has seen the case: its inbox notices about it are read."""
    return (Notice.objects.of_point(point).filter(case=case, kind=NoticeKind.INBOX, read_at__isnull=True)
            .update(read_at=timezone.now()))
