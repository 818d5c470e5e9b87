"""What people do to a warning from the dashboard: mark it seen, explain it.

The supervisors of the responsible point (and those above it) and the window
staff of that point may. Each writes the warning's row and an event into the
case's hash chain in one transaction; a refused one raises SupervisionError
with the message for the user and changes nothing.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cases import access as case_access
from cases import clock, services
from cases.models import Notice, NoticeKind
from tenants.access import roles_at
from tenants.models import Role, ServicePoint
from tenants.scope import points_visible_to

from .models import Warning

OVERSEERS = {Role.SUPERVISOR, Role.ADMIN, Role.CENTRAL_ADMIN}


class SupervisionError(Exception):
    """Refused: nothing was changed. `str(error)` is the message for the user, in Chinese."""


def role_on(user, warning_point: ServicePoint) -> str | None:
    """The role in which `user` may handle a warning of `warning_point`: its window staff, or an overseer."""
    window = case_access.window_role(user, warning_point)
    if window == Role.CLERK:
        return str(Role.CLERK)
    held = roles_at(user, warning_point) & OVERSEERS
    for role in (Role.SUPERVISOR, Role.CENTRAL_ADMIN, Role.ADMIN):
        if role in held:
            return str(role)
    return window


def _locked(warning_id: int, user, point: ServicePoint) -> tuple[Warning, str]:
    warning = (Warning.objects.select_for_update(of=("self",)).select_related("point", "case")
               .filter(pk=warning_id, point__in=points_visible_to(user, point)).first())
    if warning is None:
        raise SupervisionError("没有这条预警，或它不在您可以查看的服务点范围内。")
    role = role_on(user, warning.point)
    if role is None:
        raise SupervisionError(f"只有{warning.point.name}的督查员、上级督查人员或本点窗口人员可以处理这条预警。")
    return warning, role


def _read_notices(warning: Warning, now) -> None:
    Notice.objects.filter(kind=NoticeKind.SUPERVISION, key__startswith=f"warn:{warning.pk}:",
                          read_at__isnull=True).update(read_at=now)


def mark_seen(warning_id: int, user, point: ServicePoint, address: str | None = None) -> Warning:
    with transaction.atomic():
        warning, role = _locked(warning_id, user, point)
        if warning.seen_at is not None:
            raise SupervisionError(f"这条预警已于 {timezone.localtime(warning.seen_at):%Y-%m-%d %H:%M} 标记为已阅。")
        now = clock.now()
        warning.seen_at, warning.seen_by = now, user
        warning.save(update_fields=["seen_at", "seen_by"])
        _read_notices(warning, now)
        services.record_step(warning.case_id, services.Actor(user, point, address), "warning_seen", role,
                             lambda case: None, public=False,
                             note=f"{warning.get_colour_display()}·{warning.get_rule_display()}已阅"
                                  f"（预警编号 {warning.pk}）")
    return warning


def explain(warning_id: int, user, point: ServicePoint, text: str, address: str | None = None) -> Warning:
    text = (text or "").strip()
    if not text:
        raise SupervisionError("请填写情况说明：为什么出现这条预警，已经或将要怎样处理。")
    if len(text) > 1000:
        raise SupervisionError(f"情况说明最多 1000 字，现在是 {len(text)} 字。")
    with transaction.atomic():
        warning, role = _locked(warning_id, user, point)
        now = clock.now()
        warning.explanation, warning.explained_at, warning.explained_by = text, now, user
        fields = ["explanation", "explained_at", "explained_by"]
        if warning.seen_at is None:  # whoever explains it has seen it
            warning.seen_at, warning.seen_by = now, user
            fields += ["seen_at", "seen_by"]
        warning.save(update_fields=fields)
        _read_notices(warning, now)
        services.record_step(warning.case_id, services.Actor(user, point, address), "warning_explained", role,
                             lambda case: None, public=False,
                             note=f"{warning.get_colour_display()}·{warning.get_rule_display()}情况说明"
                                  f"（预警编号 {warning.pk}）：{text}")
    return warning
