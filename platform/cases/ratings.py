"""好差评: after 办结 the applicant rates the service once (1–5, an optional
comment) at the window's tablet, by the receipt's QR code (/rate/<token>/ on
the network's host) or online (我的办件). A grade of 1 or 2 opens a follow-up
for the supervisors of the point that served the applicant: 整改 and a reply
within 15 working days (the national 好差评 rules); the applicant reads the
reply on the rating page.
"""
from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction

from tenants.access import roles_at
from tenants.models import Role

from . import clock, services, workdays
from .errors import CaseError
from .models import Case, FollowUp, Rating, RatingChannel, Status

GRADES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD = 2  # this grade and below open a follow-up
FOLLOW_UP_DAYS = 15
SALT = "cases.rate"
ALREADY = "该办件已经评价过，每个办件只能评价一次。感谢您的评价！"


def token_for(case: Case) -> str:
    """The receipt's QR: the case id signed (no number to walk, nothing to forge)."""
    return signing.dumps(case.pk, salt=SALT, compress=True)


def case_for(token: str) -> Case | None:
    try:
        case_id = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return Case.objects.select_related("origin_point").filter(pk=case_id).first() if isinstance(case_id, int) else None


def clean_grade(value) -> int:
    try:
        grade = int(str(value).strip())
    except (TypeError, ValueError):
        grade = 0
    if grade not in GRADES:
        raise CaseError("请选择评价等级：1（非常不满意）到 5（非常满意）。")
    return grade


def rate(case_id: int, grade, comment: str = "", *, channel: str) -> Rating:
    """One rating per case, after 办结; a bad one opens the supervisors' follow-up."""
    grade = clean_grade(grade)
    if channel not in RatingChannel.values:
        raise CaseError("评价渠道不正确。")
    comment = (comment or "").strip()[:500]
    if grade <= BAD and not comment:
        raise CaseError("请简要写明不满意的原因，以便我们整改。")
    try:
        with transaction.atomic():
            case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
            if case is None:
                raise CaseError("办件不存在。")
            if case.status != Status.CLOSED:
                raise CaseError(f"办件 {case.number} 尚未办结，办结后才能评价。")
            if Rating.objects.filter(case=case).exists():
                raise CaseError(ALREADY)
            now = clock.now()
            rating = Rating.objects.create(case=case, point=case.origin_point, grade=grade, comment=comment,
                                           channel=channel, rated_at=now)
            if grade <= BAD:
                FollowUp.objects.create(rating=rating, point=case.origin_point, due_date=workdays.add_working_days(
                    services.today(), FOLLOW_UP_DAYS))
    except IntegrityError:  # a second rating racing the first
        raise CaseError(ALREADY) from None
    return rating


def may_follow_up(user, point) -> bool:
    """Supervisors and admins of the point (and those above it, whose roles reach down)."""
    return bool(roles_at(user, point) & {Role.SUPERVISOR, Role.ADMIN, Role.CENTRAL_ADMIN})


def complete_follow_up(follow_up_id: int, user, point, *, action_taken: str, reply: str) -> FollowUp:
    """整改 recorded and the reply the applicant will read; once."""
    action_taken, reply = (action_taken or "").strip(), (reply or "").strip()
    if not action_taken or not reply:
        raise CaseError("请填写整改情况和给申请人的答复。")
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().filter(pk=follow_up_id).first()
        if follow_up is None or not may_follow_up(user, follow_up.point):
            raise CaseError("没有这项整改任务，或您不是该服务点的督查人员。")
        if follow_up.done_at is not None:
            raise CaseError("这项整改已经办结。")
        follow_up.action_taken, follow_up.reply = action_taken[:2000], reply[:2000]
        follow_up.done_at, follow_up.done_by = clock.now(), user
        follow_up.save(update_fields=["action_taken", "reply", "done_at", "done_by"])
    return follow_up
