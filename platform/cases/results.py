"""Results handed to the applicant: electronic results (决定书 as a sealed PDF
with a QR code to /verify/<token> on the network's host), their revocation,
and the free post's tracking numbers and delivery dates.

Every change is a step of the case's chain (cases.services): 电子送达 is the
`deliver` step and the result's issue (`issue_result`, with the PDF's SHA-256
in its note) in one transaction; 撤销 and 妥投 are steps that move no status.
The PDF is written to the private storage (storages["applicant_files"]) inside
that transaction; a rolled-back issue can leave an unreferenced file, never a
result without its file.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from tenants.models import Role

from . import access, clock, delegated, identity, result_pdf, services
from .errors import CaseError
from .models import ApplicantKind, Case, Delivery, ElectronicResult

VERIFY_PATH = "/verify/{token}"


def verify_url(root: str, token: str) -> str:
    """root: scheme, the network's host and port, e.g. "https://yimen.example"."""
    return root.rstrip("/") + VERIFY_PATH.format(token=token)


def recipient(case: Case) -> str:
    """Whom a result names on public pages: a company in full, a person masked."""
    return case.applicant_name if case.applicant_kind == ApplicantKind.ENTERPRISE else \
        identity.mask_name(case.applicant_name)


def issuer(case: Case) -> str:
    """The deciding authority: the deciding point and the department that decided
    (under a power delegated to a park, the county department: cases.delegated)."""
    return delegated.issuer_of(case, delegated.grant_of(case))


def title_for(case: Case) -> str:
    return "准予行政许可决定书" if case.granted else "不予行政许可决定书"


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def deliver_electronic(case_id: int, actor: services.Actor, *, verify_root: str) -> ElectronicResult:
    """电子送达: the deliver step and the sealed PDF, together or not at all."""
    with transaction.atomic():
        case = services.deliver(case_id, actor, method=Delivery.ELECTRONIC, detail="电子文书，可扫码核验")
        case = Case.objects.select_related("deciding_point").get(pk=case.pk)
        # Decided at a park under a grant: in the county department's name, with the park's seal.
        grant = delegated.grant_of(case)
        token = secrets.token_urlsafe(32)
        now = clock.now()
        result = ElectronicResult(case=case, token=token, title=title_for(case),
                                  issuer=delegated.issuer_of(case, grant)[:100],
                                  recipient_masked=recipient(case)[:100], issued_at=now, issued_by=actor.user)
        data = result_pdf.render(result_pdf.ResultDocument(
            title=result.title, issuer=result.issuer, number=case.number, recipient=result.recipient_masked,
            item_name=case.item_name, body=case.decision_text, issued_at=now,
            verify_url=verify_url(verify_root, token), token=token, **_seal(grant)))
        result.sha256 = fingerprint(data)
        result.pdf.save(f"{token}.pdf", ContentFile(data), save=False)
        result.save()
        sealed = f"，加盖{grant.seal_name}（受委托：{grant.grantee.name}）" if grant else ""
        services.record_step(case.pk, actor, "issue_result", access.role_for(actor.user, actor.point, case, "deliver"),
                             lambda case: None, note=f"{result.title}{sealed}，文件指纹 SHA-256 {result.sha256}")
    return result


def _seal(grant) -> dict:
    """The park's approval seal of a grant (its name; its image when uploaded)."""
    if grant is None:
        return {}
    image = None
    if grant.seal_image:
        with grant.seal_image.open("rb") as file:
            image = file.read()
    return {"seal_name": grant.seal_name, "seal_image": image,
            "delegated_by": f"受委托实施机关：{grant.grantee.name}（{grant.instrument_number}）"}


def _decider_role(user, point, case: Case) -> str:
    """Revocation is the deciding authority's act: its desk for the department, its window, its admin."""
    if point.pk != case.deciding_point_id or not user.is_authenticated:
        raise CaseError(f"只有决定机关（{case.deciding_point.name}）的工作人员可以撤销该文书。")
    if access.at_desk(user, point, case.department):
        return "desk"
    role = access.window_role(user, point)
    if role is None or (access.has_desks(point, case.department) and role != Role.ADMIN):
        raise CaseError(f"只有决定机关（{case.deciding_point.name}）的工作人员可以撤销该文书。")
    return role


def revoke(result_id: int, actor: services.Actor, reason: str) -> ElectronicResult:
    """撤销: the result stays on the register; its verification page says revoked, when and why."""
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("请填写撤销理由。")
    with transaction.atomic():
        result = ElectronicResult.objects.select_for_update().select_related("case").filter(pk=result_id).first()
        if result is None:
            raise CaseError("没有这份电子文书。")
        if result.revoked_at is not None:
            raise CaseError(f"这份文书已于 {result.revoked_at:%Y-%m-%d} 撤销，不能重复撤销。")
        role = _decider_role(actor.user, actor.point, result.case)

        def change(case: Case) -> None:
            result.revoked_at, result.revoked_by, result.revoke_reason = clock.now(), actor.user, reason[:300]
            result.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])

        services.record_step(result.case_id, actor, "revoke_result", role, change,
                             note=f"撤销{result.title}：{reason[:300]}")
    return result


def matches(result: ElectronicResult, data: bytes) -> bool:
    """Is `data` the very file issued? (A changed byte changes the SHA-256.)"""
    return hmac.compare_digest(fingerprint(data), result.sha256)


def public_view(result: ElectronicResult) -> dict:
    """What anyone holding the token may read (the page and GET /api/results/<token>)."""
    return {
        "title": result.title, "issuer": result.issuer, "recipient": result.recipient_masked,
        "item": result.case.item_name, "issued_at": result.issued_at.isoformat(), "valid": result.valid,
        "revoked_at": result.revoked_at.isoformat() if result.revoked_at else None,
        "revoke_reason": result.revoke_reason or None, "sha256": result.sha256,
    }


# --- free post --------------------------------------------------------------------

def _posted_case(case_id: int, point) -> Case:
    case = Case.objects.filter(pk=case_id).first()
    if case is None or case.origin_point_id != point.pk or case.delivery != Delivery.POST:
        raise CaseError("只能为本服务点邮寄送达的办件登记运单或妥投。")
    return case


def record_posted(case_id: int, actor: services.Actor, *, carrier: str = "", tracking: str = "",
                  delivered_on: dt.date | None = None) -> Case:
    """The carrier and tracking number when known, the delivered date when the post says so."""
    case = _posted_case(case_id, actor.point)
    role = access.window_role(actor.user, actor.point)
    if role is None:
        raise CaseError(f"您在{actor.point.name}没有窗口人员或管理员角色。")
    if delivered_on is not None and (delivered_on > services.today() or
                                     (case.delivered_at and delivered_on < case.delivered_at.date())):
        raise CaseError("妥投日期应在寄出之后、今天之前。")

    def change(case: Case) -> None:
        if carrier.strip():
            case.post_carrier = carrier.strip()[:30]
        if tracking.strip():
            case.post_tracking = tracking.strip()[:40]
        if delivered_on is not None:
            case.post_delivered_on = delivered_on

    action = "post_delivered" if delivered_on is not None else "post_tracking"
    note = f"{case.post_carrier or carrier} {tracking or case.post_tracking}".strip()
    return services.record_step(case.pk, actor, action, role, change, note=note, public=True)


@dataclass
class ImportReport:
    updated: list[str]
    errors: list[str]


def import_tracking(actor: services.Actor, text: str) -> ImportReport:
    """A CSV (办件编号,快递公司,运单号) of many posted cases at once, as the carrier's
    pick-up list gives them: each line its own step; a bad line is reported, the rest go in."""
    report = ImportReport([], [])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for line, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (line == 1 and cells[0] in ("办件编号", "number")):
            continue
        if len(cells) < 3 or not cells[0] or not cells[2]:
            report.errors.append(f"第 {line} 行：应为“办件编号,快递公司,运单号”。")
            continue
        case = Case.objects.filter(number=cells[0][:40], origin_point=actor.point).first()
        try:
            if case is None:
                raise CaseError("不是本服务点的办件。")
            record_posted(case.pk, actor, carrier=cells[1], tracking=cells[2])
        except CaseError as error:
            report.errors.append(f"第 {line} 行（{cells[0][:40]}）：{error}")
            continue
        report.updated.append(case.number)
    return report
