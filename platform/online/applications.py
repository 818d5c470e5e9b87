"""Online applications: where an item can be applied for, the draft saved as the
applicant goes, its files, the submission (cases.online_steps.submit_online) and
补正 online (cases.online_steps.supplement_online).

The draft is pinned to the standard version the point had adopted when it was
started: a new version published meanwhile does not change the form under the
applicant's hands, and the case opens under the draft's version.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from cases import online_steps, routing
from cases.errors import CaseError
from cases.models import Case, Status
from cases.services import Applicant
from standards.models import Adoption, StandardItemVersion
from tenants.models import PointStatus, ServicePoint

from . import uploads
from .models import CitizenAccount, Draft, Upload

# The fields of the online form besides the materials: {key: (label, max length)}.
FIELDS = {"phone": ("联系电话", 11), "address": ("通讯地址（邮寄送达时使用）", 200), "note": ("申请说明", 300)}


def accepting_points(item_code: str, account: CitizenAccount | None = None) -> list[ServicePoint]:
    """The points that adopted the item and accept applications, those of the
    applicant's own county (by the region code of the ID number) first."""
    points = []
    for point in (ServicePoint.objects.real().exclude(status=PointStatus.SUSPENDED)
                  .filter(adoptions__item__code=item_code).order_by("region_code")):
        adoption = adoption_at(point, item_code)
        if adoption is None or not online_steps.allows_online(adoption.version):
            continue
        try:
            routing.route(adoption.version, point)  # e.g. a township's item adopted where no township decides
        except CaseError:
            continue
        points.append(point)
    home = (account.id_number[:6] if account and account.kind == "person" else "") or ""
    return sorted(points, key=lambda p: (p.county_code != home, p.region_code))


def adoption_at(point: ServicePoint, item_code: str) -> Adoption | None:
    return Adoption.objects.of_point(point).filter(item__code=item_code).select_related("version", "item").first()


def open_draft(account: CitizenAccount, point: ServicePoint, item_code: str) -> Draft:
    """The account's unsubmitted draft for the item at the point, or a new one pinned to the adopted version."""
    adoption = adoption_at(point, item_code)
    if adoption is None:
        raise CaseError(f"{point.name}不受理该事项，请选择受理该事项的服务点。")
    draft = (Draft.objects.filter(account=account, point=point, item=adoption.item, case__isnull=True)
             .select_related("version").first())
    if draft is not None:
        return draft
    if not online_steps.allows_online(adoption.version):
        raise CaseError(f"“{adoption.version.name}”不支持网上申请，请到服务点窗口办理。")
    return Draft.objects.create(account=account, point=point, item=adoption.item, version=adoption.version,
                                fields={"phone": account.phone})


def materials(version: StandardItemVersion) -> list[dict]:
    return list(version.content.get("materials", []))


@dataclass(frozen=True)
class MaterialRow:
    material: dict
    index: int
    upload: Upload | None
    reusable: Upload | None


def material_rows(draft: Draft) -> list[MaterialRow]:
    current = {u.material: u for u in draft.uploads.all()}
    return [MaterialRow(m, i, current.get(m["name"]),
                        None if m["name"] in current else uploads.reusable_for(draft.account, m["name"]))
            for i, m in enumerate(materials(draft.version))]


def save_draft(draft: Draft, data, files, reuse: dict[str, str], remove: list[str] | None = None) -> Draft:
    """Save the form's fields and files (material name → file), reused files (material name → key)
    and the removal of files (material names; a new file for the same material wins).

    Every file is checked before anything is saved: a refused file (UploadError)
    leaves the draft as it was."""
    names = {m["name"] for m in materials(draft.version)}
    unknown = (set(files) | set(reuse)) - names
    if unknown:
        raise CaseError(f"材料“{'、'.join(sorted(unknown))}”不在该事项的材料清单中。")
    checked = {name: uploads.check(file, name) for name, file in files.items()}
    reused = {}
    for name, key in reuse.items():
        if name in checked:
            continue
        earlier = uploads.reusable_for(draft.account, name)
        if earlier is None or str(earlier.key) != key:
            raise CaseError(f"没有可以复用的“{name}”，请上传文件。")
        reused[name] = earlier
    with transaction.atomic():
        draft.fields = {key: str(data.get(key, draft.fields.get(key, ""))).strip()[:limit]
                        for key, (_, limit) in FIELDS.items()}
        draft.save()
        for name in [*checked, *reused, *(remove or [])]:
            for old in draft.uploads.filter(material=name):
                uploads.forget(old)
        for name, one in checked.items():
            uploads.store(one, draft.account, draft.point, name, draft=draft)
        for earlier in reused.values():
            uploads.copy_for(earlier, draft.point, draft=draft)
    return draft


def applicant_of(account: CitizenAccount, draft: Draft) -> Applicant:
    return Applicant(kind=account.kind, name=account.name, id_number=account.id_number,
                     phone=draft.fields.get("phone") or account.phone,
                     legal_representative=account.legal_representative)


def submit(draft: Draft, address: str | None = None) -> Case:
    """申请: the draft becomes a case in APPLIED; its files move to the case."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().select_related("account__user", "version", "point").get(pk=draft.pk)
        if draft.case is not None:
            raise CaseError(f"这份申请已经提交，办件编号 {draft.case.number}。")
        names = list(draft.uploads.values_list("material", flat=True))
        case = online_steps.submit_online(draft.account.user, draft.point, draft.version,
                                          applicant_of(draft.account, draft), names, address,
                                          draft.fields.get("note", ""))
        draft.uploads.update(case=case)
        draft.case = case
        draft.save(update_fields=["case", "updated_at"])
    return case


def own_case(account: CitizenAccount, number: str) -> Case | None:
    """The account's case by its number (another applicant's: None, as a missing one)."""
    return (Case.objects.filter(number=number, applicant_user=account.user).select_related("origin_point")
            .first())


def supplement(account: CitizenAccount, case: Case, files, address: str | None = None) -> Case:
    """补正 online: a file for every listed item; the case goes back where it was and the clock resumes."""
    if case.status != Status.SUPPLEMENT:
        raise CaseError(f"办件 {case.number} 当前状态为“{case.get_status_display()}”，不需要补正。")
    listed = list(case.supplement_list)
    unknown = set(files) - set(listed)
    if unknown:
        raise CaseError(f"“{'、'.join(sorted(unknown))}”不在补正清单中。")
    missing = [name for name in listed if name not in files]
    if missing:
        raise CaseError(f"还需要上传：{'、'.join(missing)}。请一次上传全部补正材料后再提交。")
    checked = {name: uploads.check(file, name) for name, file in files.items()}
    with transaction.atomic():
        for name, one in checked.items():
            uploads.store(one, account, case.origin_point, name, case=case)
        return online_steps.supplement_online(case.pk, account.user, listed, address)


def case_uploads(case: Case):
    return Upload.objects.filter(case=case).order_by("material", "created_at")


def file_for_account(account: CitizenAccount, key) -> Upload | None:
    return Upload.objects.filter(Q(key=key) & Q(account=account)).first()
