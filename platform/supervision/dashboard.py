"""What a point's supervisors read on the 电子监察 dashboard, for a point of
their subtree: open cases by status and age, warnings by colour and point,
overdue cases with who holds them, follow-ups of bad ratings, and a link down
to every point below.

Which points: `tenants.scope.points_visible_to(user, where the user is)`,
narrowed to the chosen point and those below it — a township's supervisor
never reaches a sibling township, a clerk only their own point.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q

from cases import services as case_services
from cases.models import OPEN, Case, CaseEvent, FollowUp, Notice, NoticeKind, Status
from tenants.access import roles_at
from tenants.models import Role, ServicePoint, Tier
from tenants.scope import points_visible_to

from .models import Colour, Warning

VIEWERS = {Role.SUPERVISOR, Role.ADMIN, Role.CENTRAL_ADMIN, Role.CLERK}
LIST_SIZE = 200
# Age of an open case in calendar days since 收件.
AGES = [("age_3", "3 天内", 0, 3), ("age_10", "4–10 天", 4, 10), ("age_30", "11–30 天", 11, 30),
        ("age_more", "30 天以上", 31, None)]
TIER_DEPTH: dict[str, int] = {Tier.COUNTY: 0, Tier.TOWNSHIP: 1, Tier.PARK: 1, Tier.VILLAGE: 2}


class OutOfScope(Exception):
    """The chosen point is not the user's to read from here; the message says so in Chinese."""


def may_view(user, point: ServicePoint | None) -> bool:
    return point is not None and bool(roles_at(user, point) & VIEWERS)


def subtree(user, at: ServicePoint, target: ServicePoint | None) -> tuple[ServicePoint, list[ServicePoint]]:
    """The chosen point and the points of its subtree the user may read from `at` (target first)."""
    visible = points_visible_to(user, at)
    target = target or at
    if not visible.filter(pk=target.pk).exists():
        raise OutOfScope(f"您在{at.name}只能查看本服务点及其下级服务点的电子监察，不能查看这个服务点。")
    below = [p.pk for p in target.descendants()]
    points = list(visible.filter(Q(pk=target.pk) | Q(pk__in=below)).order_by("region_code"))
    points.sort(key=lambda p: (p.pk != target.pk, p.region_code))
    return target, points


@dataclass
class PointRow:
    point: ServicePoint
    depth: int
    open: int = 0
    overdue: int = 0
    yellow: int = 0
    red: int = 0


def _ages(today: dt.date) -> dict[str, Q]:
    qs = {}
    for key, _, youngest, oldest in AGES:
        q = Q()
        if oldest is not None:
            q &= Q(received_at__date__gte=today - dt.timedelta(days=oldest))
        if youngest:
            q &= Q(received_at__date__lte=today - dt.timedelta(days=youngest))
        qs[key] = q
    return qs


def open_by_status(ids: list[int], today: dt.date) -> list[dict]:
    ages = _ages(today)
    rows = (Case.objects.filter(holder_id__in=ids, status__in=OPEN).values("status")
            .annotate(total=Count("pk"), **{key: Count("pk", filter=q) for key, q in ages.items()}))
    found: dict[str, dict] = {row["status"]: dict(row) for row in rows}
    return [{"label": Status(s).label, "total": found[s]["total"], "counts": [found[s][key] for key, *_ in AGES]}
            for s in OPEN if s in found]


def overdue_cases(ids: list[int], today: dt.date) -> list[dict]:
    cases = list(Case.objects.filter(holder_id__in=ids, status__in=OPEN, due_date__lt=today)
                 .exclude(status=Status.DELIVERED).select_related("holder").order_by("due_date")[:LIST_SIZE])
    late: list[tuple[Case, int]] = []
    for case in cases:
        left = case_services.days_left(case, today)
        if left is not None and left < 0:
            late.append((case, left))
    last = {}
    for case_id, name, point_id in (CaseEvent.objects.filter(case_id__in=[c.pk for c, _ in late])
                                    .exclude(action__startswith="warning_").order_by("case_id", "-seq")
                                    .distinct("case_id").values_list("case_id", "actor_name", "point_id")):
        last[case_id] = (name, point_id)
    return [{"case": case, "late": -left, "holder": case.holder,
             "last_actor": last.get(case.pk, ("—", None))[0]} for case, left in late]


def point_rows(points: list[ServicePoint], target: ServicePoint, today: dt.date) -> list[PointRow]:
    ids = [p.pk for p in points]
    rows = {p.pk: PointRow(p, max(0, TIER_DEPTH.get(p.tier, 1) - TIER_DEPTH.get(target.tier, 0))) for p in points}
    for holder_id, total, overdue in (Case.objects.filter(holder_id__in=ids, status__in=OPEN).values("holder_id")
                                      .annotate(total=Count("pk"), late=Count("pk", filter=Q(due_date__lt=today)
                                                & ~Q(status=Status.DELIVERED) & Q(clock_stopped_on__isnull=True)))
                                      .values_list("holder_id", "total", "late")):
        rows[holder_id].open, rows[holder_id].overdue = total, overdue
    for point_id, colour, count in (Warning.objects.active().filter(point_id__in=ids).values("point_id", "colour")
                                    .annotate(n=Count("pk")).values_list("point_id", "colour", "n")):
        setattr(rows[point_id], "red" if colour == Colour.RED else "yellow", count)
    return [rows[p.pk] for p in points]


def warnings_in(ids: list[int]):
    return (Warning.objects.active().filter(point_id__in=ids)
            .select_related("case", "point", "rule_set", "seen_by", "explained_by")
            .order_by("-colour", "raised_at"))  # red before yellow, oldest first


def follow_ups(ids: list[int]):
    return (FollowUp.objects.filter(point_id__in=ids).select_related("rating__case", "point")
            .order_by(F("done_at").asc(nulls_first=True), "due_date")[:LIST_SIZE])


def unread_alerts(point: ServicePoint) -> int:
    return Notice.objects.of_point(point).filter(kind=NoticeKind.SUPERVISION, read_at__isnull=True).count()


def build(user, at: ServicePoint, target: ServicePoint | None, today: dt.date) -> dict:
    target, points = subtree(user, at, target)
    ids = [p.pk for p in points]
    rows = point_rows(points, target, today)
    warnings = list(warnings_in(ids)[:LIST_SIZE])
    ancestors = [p for p in target.ancestors() if points_visible_to(user, at).filter(pk=p.pk).exists()]
    return {
        "target": target, "trail": ancestors, "point_rows": rows,
        "totals": {"open": sum(r.open for r in rows), "overdue": sum(r.overdue for r in rows),
                   "yellow": sum(r.yellow for r in rows), "red": sum(r.red for r in rows)},
        "by_status": open_by_status(ids, today), "ages": AGES, "warnings": warnings,
        "overdue": overdue_cases(ids, today), "follow_ups": follow_ups(ids), "alerts": unread_alerts(target),
        "today": today,
    }
