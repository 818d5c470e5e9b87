"""全程代办 at a park: the one writer of powers.agency's projects and
milestones, and what the park's workbench shows of them.

A project is made with the milestones it needs, in order, each held to the
county's time standard (powers.agency.TIME_STANDARDS); starting a milestone
fixes its due date on the county's working-day calendar (cases.workdays),
finishing it records the day. Only the park's window staff (its agents) and
its admin act; anyone refused gets a CaseError in Chinese and nothing changes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from powers.agency import STANDARD_DAYS, STANDARD_NAMES, AgencyProject, Milestone, ProjectStatus
from tenants.models import ServicePoint, Tier

from . import access, clock, identity, workdays
from .errors import CaseError

# A running milestone this close to its due date is flagged (临期) on the workbench.
NEAR_DAYS = 1


def _check(user, park: ServicePoint) -> None:
    if park is None or park.tier != Tier.PARK:
        raise CaseError("全程代办只在园区服务点办理。")
    if access.window_role(user, park) is None:
        raise CaseError(f"您在{park.name}没有窗口人员（代办员）或管理员角色，不能办理全程代办。")


def may_carry(user, park: ServicePoint | None) -> bool:
    return park is not None and park.tier == Tier.PARK and access.window_role(user, park) is not None


@transaction.atomic
def create_project(user, park: ServicePoint, *, name: str, enterprise_name: str, kinds: list[str],
                   agent_name: str = "", credit_code: str = "", started_on: dt.date | None = None,
                   investment=None) -> AgencyProject:
    """A new project with its milestones (in the order given), none started yet."""
    _check(user, park)
    name, enterprise_name = (name or "").strip(), (enterprise_name or "").strip()
    if not name or not enterprise_name:
        raise CaseError("请填写项目名称和企业名称。")
    kinds = list(dict.fromkeys(k for k in kinds if k))
    unknown = [k for k in kinds if k not in STANDARD_DAYS]
    if unknown or not kinds:
        raise CaseError("请选择项目需要代办的环节（企业开办、不动产登记、施工许可等）。")
    code = ""
    if (credit_code or "").strip():
        try:
            code = identity.clean_credit_code(credit_code)
        except identity.IdentityError as error:
            raise CaseError(str(error)) from None
    project = AgencyProject.objects.create(
        park=park, name=name[:100], enterprise_name=enterprise_name[:100], credit_code=code,
        agent=user if getattr(user, "pk", None) else None,
        agent_name=((agent_name or "").strip() or (user.get_full_name() or user.username))[:50],
        investment=investment, started_on=started_on or clock.today())
    Milestone.objects.bulk_create([Milestone(project=project, order=n, kind=kind, standard_days=STANDARD_DAYS[kind])
                                   for n, kind in enumerate(kinds, start=1)])
    return project


def _milestone(user, park: ServicePoint, milestone_id: int) -> Milestone:
    _check(user, park)
    found = (Milestone.objects.select_for_update(of=("self",)).select_related("project")
             .filter(pk=milestone_id, project__in=AgencyProject.objects.of_point(park)).first())
    if found is None:
        raise CaseError("没有这个代办节点，或它不属于本园区。")
    return found


@transaction.atomic
def start_milestone(user, park: ServicePoint, milestone_id: int, *, on: dt.date | None = None,
                    case_number: str = "") -> Milestone:
    """开始办理: the due date is the start plus the standard's working days."""
    milestone = _milestone(user, park, milestone_id)
    if milestone.started_on is not None:
        raise CaseError(f"“{milestone.get_kind_display()}”已于 {milestone.started_on} 开始办理。")
    on = on or clock.today()
    milestone.started_on = on
    milestone.due_on = workdays.add_working_days(on, milestone.standard_days)
    milestone.case_number = (case_number or "").strip()[:40]
    milestone.save(update_fields=["started_on", "due_on", "case_number"])
    return milestone


@transaction.atomic
def finish_milestone(user, park: ServicePoint, milestone_id: int, *, on: dt.date | None = None) -> Milestone:
    """办结: the day it was done; the project is done with its last milestone."""
    milestone = _milestone(user, park, milestone_id)
    if milestone.started_on is None:
        raise CaseError(f"“{milestone.get_kind_display()}”还没有开始办理。")
    if milestone.done_on is not None:
        raise CaseError(f"“{milestone.get_kind_display()}”已于 {milestone.done_on} 办结。")
    on = on or clock.today()
    if on < milestone.started_on:
        raise CaseError("办结日期不能早于开始办理日期。")
    milestone.done_on = on
    milestone.save(update_fields=["done_on"])
    project = milestone.project
    if not project.milestones.filter(done_on__isnull=True).exists():
        project.status = ProjectStatus.DONE
        project.save(update_fields=["status"])
    return milestone


# --- what the workbench shows -----------------------------------------------------

@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    name: str
    state: str  # waiting, running, near, overdue, done, done_late
    label: str
    days_left: int | None  # working days to the due date (negative: overdue)
    used_days: int | None  # working days it took (done)


def milestone_row(m: Milestone, today: dt.date) -> MilestoneRow:
    name = STANDARD_NAMES.get(m.kind, m.kind)
    if m.started_on is None:
        return MilestoneRow(m, name, "waiting", "未开始", None, None)
    if m.done_on is not None:
        used = workdays.working_days_between(m.started_on, m.done_on)
        late = m.due_on is not None and m.done_on > m.due_on
        return MilestoneRow(m, name, "done_late" if late else "done",
                            f"已办结，用时 {used} 个工作日" + ("（超时）" if late else ""), None, used)
    due = m.due_on or workdays.add_working_days(m.started_on, m.standard_days)
    left = workdays.working_days_left(today, due)
    if left < 0:
        return MilestoneRow(m, name, "overdue", f"已超时 {-left} 个工作日", left, None)
    state = "near" if left <= NEAR_DAYS else "running"
    return MilestoneRow(m, name, state, f"剩余 {left} 个工作日", left, None)


@dataclass(frozen=True)
class ProjectRow:
    project: AgencyProject
    milestones: list[MilestoneRow]
    overdue: int
    done: int


def board(park: ServicePoint, today: dt.date | None = None, limit: int = 100) -> list[ProjectRow]:
    """The park's projects, running first, with each milestone against its standard."""
    today = today or clock.today()
    projects = (AgencyProject.objects.of_point(park).prefetch_related("milestones")
                .order_by("status", "-started_on", "-pk")[:limit])
    rows = []
    for project in projects:
        milestones = [milestone_row(m, today) for m in project.milestones.all()]
        rows.append(ProjectRow(project, milestones, sum(1 for r in milestones if r.state == "overdue"),
                               sum(1 for r in milestones if r.state in ("done", "done_late"))))
    return rows
