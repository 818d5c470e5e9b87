"""The only writer of power grants.

Every function checks who acts and where (a central admin at the grantor
county point), refuses with a GrantError in Chinese and changes nothing, or
changes the grant and writes one GrantEvent in the same transaction. When a
grant begins or stops sending cases to its park, powers.hooks' signals go out
inside that transaction (cases moves the cases in flight; pages and search
refresh).

Four eyes as for standards: whoever last drafted a grant may not activate it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from standards.models import StandardItem
from tenants.access import is_central_admin_at
from tenants.models import ServicePoint, Tier

from . import hooks, scope
from .errors import GrantError
from .models import ALL_STAGES, LIVE, GrantEvent, GrantStatus, OnEnd, PowerGrant, ScopeKind, Stage

ACTION_LABELS = {
    "draft": "起草", "update_draft": "修改草稿", "activate": "批准生效", "start": "开始生效", "suspend": "暂停",
    "resume": "恢复", "renew": "延期", "revoke": "撤销", "expire": "到期终止", "remind": "到期提醒",
}
STAGE_WORDS = {"受理": Stage.ACCEPT, "审查": Stage.REVIEW, "决定": Stage.DECIDE, "全部": "all", "all": "all"}


@dataclass
class GrantSpec:
    """What a central admin fills in (the form, or one row of the Excel import)."""

    department: str
    grantee: ServicePoint
    item_codes: list[str]
    stages: list[str]  # Stage values or their Chinese words; "all" / "全部" for every stage
    instrument_number: str
    instrument_date: dt.date
    valid_from: dt.date
    valid_to: dt.date
    seal_name: str
    scope_kind: str = ScopeKind.ENTERPRISES
    credit_codes: list[str] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)
    notice_url: str = ""
    on_end: str = OnEnd.FINISH
    confirm_by_county: bool = False
    title: str = ""
    instrument_file: Any = None  # an uploaded file, or None to keep what there is
    seal_image: Any = None


def today() -> dt.date:
    return timezone.localdate()


# --- checks -------------------------------------------------------------------

def _check_admin(user, point: ServicePoint) -> None:
    if point is None or point.tier != Tier.COUNTY:
        raise GrantError("只有县级服务点可以赋权：园区不能把承接的权力再转授。")
    if not is_central_admin_at(user, point):
        raise GrantError(f"您不是{point.name}的中心管理员，不能管理赋权强园。")


def _grant_for_update(grant_id: int, user, point: ServicePoint) -> PowerGrant:
    _check_admin(user, point)
    grant = PowerGrant.objects.select_for_update(of=("self",)).filter(pk=grant_id).first()
    if grant is None or grant.grantor_id != point.pk:
        raise GrantError("找不到该赋权，或它不是本县的赋权。")
    return grant


def _stages(values) -> list[str]:
    stages: set[str] = set()
    for value in values or []:
        word = STAGE_WORDS.get(str(value).strip(), str(value).strip())
        if word == "all":
            stages.update(ALL_STAGES)
        elif word in ALL_STAGES:
            stages.add(word)
        elif word:
            raise GrantError(f"委托环节“{value}”不正确，应为受理、审查、决定或全部。")
    if not stages:
        raise GrantError("请选择委托的环节：受理、审查、决定或全部。")
    return [s for s in ALL_STAGES if s in stages]


def _items(item_codes, department: str, grantor: ServicePoint) -> list[StandardItem]:
    """The items by code, each published, delegable to parks and of `department`."""
    codes = list(dict.fromkeys(c.strip() for c in item_codes if c and c.strip()))
    if not codes:
        raise GrantError("请至少选择一个赋权事项。")
    found = {i.code: i for i in StandardItem.objects.visible_to(grantor).filter(code__in=codes)
             .select_related("current")}
    unknown = [c for c in codes if c not in found or found[c].current is None]
    if unknown:
        raise GrantError(f"找不到已发布的标准事项：{'、'.join(unknown[:10])}。")
    items = [found[c] for c in codes]
    not_delegable = [f"{i.code} {i.current.name}" for i in items if not i.current.content.get("park_delegable")]
    if not_delegable:
        raise GrantError(f"以下事项的标准未标明“可赋权园区”，不能赋权：{'、'.join(not_delegable[:10])}。")
    other_dept = [f"{i.code} {i.current.name}（{i.current.department}）" for i in items
                  if i.current.department != department]
    if other_dept:
        raise GrantError(f"以下事项不属于{department}，不能由其赋权：{'、'.join(other_dept[:10])}。")
    return items


def _clean(spec: GrantSpec, grantor: ServicePoint) -> dict[str, Any]:
    """The grant's fields from the spec, every rule checked (GrantError otherwise)."""
    department = (spec.department or "").strip()
    if not department:
        raise GrantError("请填写赋权部门（县级实施部门）。")
    spec.department = department
    grantee = spec.grantee
    if grantee is None or grantee.tier != Tier.PARK:
        raise GrantError(f"承接单位“{getattr(grantee, 'name', '')}”不是园区服务点：只能向园区赋权。")
    if grantee.parent_id != grantor.pk:
        raise GrantError(f"“{grantee.name}”不是{grantor.name}下的园区，不能向其赋权。")
    stages = _stages(spec.stages)
    confirm = bool(spec.confirm_by_county)
    if Stage.DECIDE not in stages and not confirm:
        # The decision stays the county department's: it confirms the park's work (见章盖章).
        raise GrantError("未委托“决定”环节时，须由县级部门见章盖章确认园区的办理结果。")
    kind = spec.scope_kind
    if kind not in ScopeKind.values:
        raise GrantError("请选择适用范围：园区企业名单或园区登记区划。")
    codes = scope.clean_credit_codes(spec.credit_codes) if kind == ScopeKind.ENTERPRISES else []
    regions = scope.clean_region_codes(spec.region_codes) if kind == ScopeKind.REGIONS else []
    if kind == ScopeKind.ENTERPRISES and not codes:
        raise GrantError("请填写园区企业的统一社会信用代码（可从 Excel 导入）。")
    if kind == ScopeKind.REGIONS and not regions:
        raise GrantError("请填写园区的登记区划代码（6 位数字）。")
    number = (spec.instrument_number or "").strip()
    if not number or spec.instrument_date is None:
        raise GrantError("请填写委托书（授权文件）的文号和日期。")
    seal = (spec.seal_name or "").strip()
    if not seal:
        raise GrantError("请填写园区使用的审批专用章名称。")
    if spec.valid_from is None or spec.valid_to is None or spec.valid_to < spec.valid_from:
        raise GrantError("请填写有效期：截止日期不能早于生效日期。")
    if spec.on_end not in OnEnd.values:
        raise GrantError("请选择赋权终止时在办件的处理方式：在园区办结或退回县级部门。")
    notice = (spec.notice_url or "").strip()
    if notice and not notice.startswith(("http://", "https://")):
        raise GrantError("公告网址应以 http:// 或 https:// 开头。")
    return {
        "title": (spec.title or "").strip()[:100], "department": department, "grantee": grantee, "stages": stages,
        "scope_kind": kind, "credit_codes": codes, "region_codes": regions, "instrument_number": number[:100],
        "instrument_date": spec.instrument_date, "notice_url": notice[:300], "seal_name": seal[:100],
        "valid_from": spec.valid_from, "valid_to": spec.valid_to, "on_end": spec.on_end,
        "confirm_by_county": confirm,
    }


def _check_overlap(grantor: ServicePoint, grant_id: int | None, item_ids: list[int], codes, regions, valid_from,
                   valid_to) -> None:
    """Refuse when a live grant of the county covers one of the items for a shared enterprise in an
    overlapping period (whichever park it went to: an enterprise has one place to go)."""
    # What SQL can tell (shared codes, shared regions, a region holding one of our codes); with
    # regions of our own, their enterprises are checked here (a code's region is not a column).
    shares = Q(credit_codes__overlap=list(codes)) | Q(region_codes__overlap=[*regions, *map(scope.region_of, codes)])
    if regions:
        shares |= Q(scope_kind=ScopeKind.ENTERPRISES)
    others = (PowerGrant.objects.filter(shares, grantor=grantor, status__in=LIVE, items__in=item_ids,
                                        valid_from__lte=valid_to, valid_to__gte=valid_from)
              .distinct().select_related("grantee"))
    if grant_id is not None:
        others = others.exclude(pk=grant_id)
    wanted = set(item_ids)
    for other in others:
        shared = scope.overlap(codes, regions, other.credit_codes, other.region_codes)
        if shared is None:
            continue
        item = next(i for i in other.items.all() if i.pk in wanted)
        raise GrantError(
            f"与已有赋权重叠：事项 {item.code} 已由“{other.department}”赋予{other.grantee.name}"
            f"（{other.instrument_number}，{other.valid_from}至{other.valid_to}，{other.get_status_display()}），"
            f"同样覆盖{shared}。请调整事项、企业名单或有效期。")


# --- the audit history ----------------------------------------------------------

def _value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, ServicePoint):
        return value.name
    return value


SNAPSHOT = ("title", "department", "grantee", "stages", "scope_kind", "credit_codes", "region_codes",
            "instrument_number", "instrument_date", "instrument_file", "notice_url", "seal_name", "seal_image",
            "valid_from", "valid_to", "status", "on_end", "confirm_by_county", "end_reason")


def _snapshot(grant: PowerGrant | None) -> dict[str, Any]:
    if grant is None or grant.pk is None:
        return {}
    snap = {name: _value(getattr(grant, name)) for name in SNAPSHOT}
    snap["instrument_file"], snap["seal_image"] = grant.instrument_file.name, grant.seal_image.name
    snap["items"] = _item_codes(grant)
    return snap


def _item_codes(grant: PowerGrant) -> list[str]:
    """The grant's item codes, read once per change (a list of 100 grants is activated in one act)."""
    codes = getattr(grant, "_item_codes", None)
    if codes is None:
        codes = sorted(grant.items.values_list("code", flat=True))
        grant._item_codes = codes  # type: ignore[attr-defined]
    return codes


def _event(grant: PowerGrant, user, point: ServicePoint | None, action: str, before: dict[str, Any],
           note: str = "") -> GrantEvent:
    after = _snapshot(grant)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    seq = GrantEvent.objects.filter(grant=grant).count() + 1
    actor = user if getattr(user, "pk", None) else None
    return GrantEvent.objects.create(
        grant=grant, seq=seq, action=action, actor=actor,
        actor_name=(actor.get_full_name() or actor.username) if actor else "系统", point=point,
        at=timezone.now(), changes=changes, note=note[:300])


def _start(grant: PowerGrant, on: dt.date) -> None:
    """If the grant routes cases on `on`, mark it started and tell the hooks."""
    if grant.status == GrantStatus.ACTIVE and grant.valid_from <= on <= grant.valid_to and grant.started_at is None:
        grant.started_at = timezone.now()
        grant.save(update_fields=["started_at", "updated_at"])
        hooks.grant_started.send(sender=PowerGrant, grant=grant)


def _end(grant: PowerGrant, how: str) -> None:
    """The grant stops routing cases (if it did): the hooks move what is in flight."""
    if grant.started_at is not None:
        grant.started_at = None
        grant.save(update_fields=["started_at", "updated_at"])
        hooks.grant_ended.send(sender=PowerGrant, grant=grant, how=how)


def _store_files(grant: PowerGrant, spec: GrantSpec) -> None:
    if spec.instrument_file:
        grant.instrument_file.save(spec.instrument_file.name, spec.instrument_file, save=False)
    if spec.seal_image:
        grant.seal_image.save(spec.seal_image.name, spec.seal_image, save=False)


# --- the steps ------------------------------------------------------------------

def draft(user, point: ServicePoint, spec: GrantSpec) -> PowerGrant:
    """起草: a new grant in draft; checked now and again when activated."""
    _check_admin(user, point)
    fields = _clean(spec, point)
    items = _items(spec.item_codes, fields["department"], point)
    _check_overlap(point, None, [i.pk for i in items], fields["credit_codes"], fields["region_codes"],
                   fields["valid_from"], fields["valid_to"])
    with transaction.atomic():
        grant = PowerGrant(grantor=point, drafted_by=user, **fields)
        _store_files(grant, spec)
        grant.save()
        through = PowerGrant.items.through
        through.objects.bulk_create([through(powergrant_id=grant.pk, standarditem_id=i.pk) for i in items])
        grant._item_codes = sorted(i.code for i in items)  # type: ignore[attr-defined]
        _event(grant, user, point, "draft", {}, note=f"起草赋权：{len(items)} 项事项")
    return grant


def update_draft(grant_id: int, user, point: ServicePoint, spec: GrantSpec) -> PowerGrant:
    """修改草稿: whoever changes it becomes its drafter (and may not activate it)."""
    with transaction.atomic():
        grant = _grant_for_update(grant_id, user, point)
        if grant.status != GrantStatus.DRAFT:
            raise GrantError(f"赋权当前为“{grant.get_status_display()}”，只有草稿可以修改。")
        fields = _clean(spec, point)
        items = _items(spec.item_codes, fields["department"], point)
        _check_overlap(point, grant.pk, [i.pk for i in items], fields["credit_codes"], fields["region_codes"],
                       fields["valid_from"], fields["valid_to"])
        before = _snapshot(grant)
        for name, value in fields.items():
            setattr(grant, name, value)
        grant.drafted_by = user
        _store_files(grant, spec)
        grant.save()
        grant.items.set(items)
        grant._item_codes = sorted(i.code for i in items)  # type: ignore[attr-defined]
        _event(grant, user, point, "update_draft", before)
    return grant


def activate(grant_id: int, user, point: ServicePoint, note: str = "") -> PowerGrant:
    """批准生效 by a second central admin; from valid_from on, cases go to the park."""
    with transaction.atomic():
        grant = _grant_for_update(grant_id, user, point)
        if grant.status != GrantStatus.DRAFT:
            raise GrantError(f"赋权当前为“{grant.get_status_display()}”，只有草稿可以批准生效。")
        if grant.drafted_by_id == getattr(user, "pk", None):
            raise GrantError("四眼原则：起草（或最后修改）赋权的人不能批准它生效，请另一位中心管理员审核批准。")
        if grant.valid_to < today():
            raise GrantError(f"赋权的截止日期 {grant.valid_to} 已过，请修改有效期后再批准。")
        # The standards may have changed since the draft (a new version no longer delegable).
        items = _items(_item_codes(grant), grant.department, point)
        _check_overlap(point, grant.pk, [i.pk for i in items], grant.credit_codes, grant.region_codes,
                       grant.valid_from, grant.valid_to)
        before = _snapshot(grant)
        grant.status, grant.activated_by, grant.activated_at = GrantStatus.ACTIVE, user, timezone.now()
        grant.save()
        _event(grant, user, point, "activate", before, note=note)
        _start(grant, today())
    return grant


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise GrantError(f"请填写{what}。")
    return text[:300]


def suspend(grant_id: int, user, point: ServicePoint, reason: str) -> PowerGrant:
    """暂停: cases go to the county again until it is resumed; those in flight per on_end."""
    reason = _reason(reason, "暂停理由")
    with transaction.atomic():
        grant = _grant_for_update(grant_id, user, point)
        if grant.status != GrantStatus.ACTIVE:
            raise GrantError(f"赋权当前为“{grant.get_status_display()}”，只有生效中的赋权可以暂停。")
        before = _snapshot(grant)
        grant.status, grant.end_reason = GrantStatus.SUSPENDED, reason
        grant.save()
        _event(grant, user, point, "suspend", before, note=reason)
        _end(grant, "suspended")
    return grant


def resume(grant_id: int, user, point: ServicePoint, note: str = "") -> PowerGrant:
    with transaction.atomic():
        grant = _grant_for_update(grant_id, user, point)
        if grant.status != GrantStatus.SUSPENDED:
            raise GrantError(f"赋权当前为“{grant.get_status_display()}”，只有暂停的赋权可以恢复。")
        if grant.valid_to < today():
            raise GrantError(f"赋权已于 {grant.valid_to} 到期，不能恢复；请重新赋权。")
        _check_overlap(point, grant.pk, list(grant.items.values_list("pk", flat=True)), grant.credit_codes,
                       grant.region_codes, grant.valid_from, grant.valid_to)
        before = _snapshot(grant)
        grant.status, grant.end_reason = GrantStatus.ACTIVE, ""
        grant.save()
        _event(grant, user, point, "resume", before, note=note)
        _start(grant, today())
    return grant


def renew(grant_id: int, user, point: ServicePoint, valid_to: dt.date, note: str = "") -> PowerGrant:
    """延期: a later end date (the overlap rule applies to the longer period)."""
    with transaction.atomic():
        grant = _grant_for_update(grant_id, user, point)
        if grant.status not in LIVE:
            raise GrantError(f"赋权当前为“{grant.get_status_display()}”，只有生效或暂停中的赋权可以延期。")
        if valid_to is None or valid_to <= grant.valid_to:
            raise GrantError(f"新的截止日期应晚于现截止日期 {grant.valid_to}。")
        _check_overlap(point, grant.pk, list(grant.items.values_list("pk", flat=True)), grant.credit_codes,
                       grant.region_codes, grant.valid_from, valid_to)
        before = _snapshot(grant)
        grant.valid_to = valid_to
        grant.save()
        _event(grant, user, point, "renew", before, note=note)
    return grant


def revoke(grant_id: int, user, point: ServicePoint, reason: str) -> PowerGrant:
    """撤销: final; the history stays. Cases in flight finish at the park or return, per on_end."""
    reason = _reason(reason, "撤销理由")
    with transaction.atomic():
        grant = _grant_for_update(grant_id, user, point)
        if grant.status not in (GrantStatus.DRAFT, *LIVE):
            raise GrantError(f"赋权当前为“{grant.get_status_display()}”，不能撤销。")
        before = _snapshot(grant)
        grant.status, grant.end_reason, grant.ended_at = GrantStatus.REVOKED, reason, timezone.now()
        grant.save()
        _event(grant, user, point, "revoke", before, note=reason)
        _end(grant, "revoked")
    return grant


def expire_due(on: dt.date | None = None) -> dict[str, int]:
    """Beat: grants past valid_to stop by themselves; those whose valid_from came start."""
    on = on or today()
    expired = started = 0
    for grant_id in PowerGrant.objects.filter(status__in=LIVE, valid_to__lt=on).values_list("pk", flat=True):
        with transaction.atomic():
            grant = PowerGrant.objects.select_for_update(of=("self",)).get(pk=grant_id)
            if grant.status not in LIVE or grant.valid_to >= on:
                continue
            before = _snapshot(grant)
            grant.status, grant.ended_at = GrantStatus.EXPIRED, timezone.now()
            grant.save()
            _event(grant, None, None, "expire", before, note=f"有效期至 {grant.valid_to}，自动终止")
            _end(grant, "expired")
            expired += 1
    waiting = PowerGrant.objects.effective(on).filter(started_at__isnull=True).values_list("pk", flat=True)
    for grant_id in waiting:
        with transaction.atomic():
            grant = PowerGrant.objects.select_for_update(of=("self",)).get(pk=grant_id)
            if grant.started_at is None:
                _start(grant, on)
                if grant.started_at is not None:
                    _event(grant, None, None, "start", _snapshot(grant),
                           note=f"{grant.valid_from} 到达生效日期，开始生效")
                    started += 1
    return {"expired": expired, "started": started}


class _Undo(Exception):
    pass


def activate_many(grant_ids: list[int], user, point: ServicePoint) -> list[PowerGrant]:
    """批准生效 of a list (an imported act of a hundred grants): all, or none with every reason."""
    if not grant_ids:
        raise GrantError("请选择要批准生效的赋权草稿。")
    done, errors = [], []
    try:
        with transaction.atomic():
            for grant_id in grant_ids:
                try:
                    with transaction.atomic():
                        done.append(activate(grant_id, user, point))
                except GrantError as error:
                    errors.append(f"赋权 #{grant_id}：{error}")
            if errors:
                raise _Undo
    except _Undo:
        raise GrantError("未批准任何赋权：" + "；".join(errors[:20]) +
                             (f"；等 {len(errors)} 项" if len(errors) > 20 else "")) from None
    return done
