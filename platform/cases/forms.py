"""The workbench's forms: they parse what the clerk typed into the values
cases.services takes. Checks of substance (ID checksums, the item, the
materials, the state) are the services'; a refusal comes back as CaseError."""
from __future__ import annotations

import datetime as dt

from django import forms

from .errors import CaseError
from .models import ApplicantKind, Delivery
from .services import Applicant, MaterialCheck

TEXT = {"class": "w-field__input"}


class ApplicantForm(forms.Form):
    kind = forms.ChoiceField(label="申请人类型", choices=ApplicantKind.choices, initial=ApplicantKind.PERSON,
                             widget=forms.RadioSelect)
    name = forms.CharField(label="申请人姓名或企业名称", max_length=100, required=False,
                           widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    id_number = forms.CharField(label="身份证号或统一社会信用代码", max_length=30, required=False,
                                widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off", "spellcheck": "false"}),
                                help_text="个人填 18 位居民身份证号；企业填 18 位统一社会信用代码。")
    legal_representative = forms.CharField(label="法定代表人（企业申请）", max_length=50, required=False,
                                           widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    phone = forms.CharField(label="联系电话", max_length=20, required=False,
                            widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off", "inputmode": "tel"}))
    agent_name = forms.CharField(label="代理人姓名（委托他人办理时填写）", max_length=50, required=False,
                                 widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    agent_id_number = forms.CharField(label="代理人身份证号", max_length=30, required=False,
                                      widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off",
                                                                    "spellcheck": "false"}))
    power_of_attorney = forms.BooleanField(label="已核验授权委托书原件", required=False)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def applicant(self) -> Applicant:
        """The applicant as typed; CaseError for what only the form can tell."""
        data = self.cleaned_data
        return Applicant(kind=data["kind"], name=data["name"], id_number=data["id_number"], phone=data["phone"],
                         legal_representative=data["legal_representative"], agent_name=data["agent_name"],
                         agent_id_number=data["agent_id_number"], power_of_attorney=data["power_of_attorney"])


def _copies(value: str) -> int:
    try:
        return max(0, min(99, int(value or 0)))
    except ValueError:
        raise CaseError("份数请填写 0 到 99 的整数。") from None


def material_rows(materials: list[dict], data=None) -> list[dict]:
    """The item's materials as checklist rows for the template (prefilled from `data` after a refusal)."""
    rows = []
    for index, material in enumerate(materials):
        prefix = f"m{index}"
        rows.append({
            "prefix": prefix, "name": material["name"], "required": material.get("required", True),
            "tolerable": bool(material.get("tolerable")), "form": material.get("form", ""),
            "copies_required": material.get("copies", 1),
            "present": bool(data and data.get(f"{prefix}-present")),
            "original": bool(data and data.get(f"{prefix}-original")),
            "copies": (data.get(f"{prefix}-copies") if data else None) or material.get("copies", 1),
            "note": data.get(f"{prefix}-note", "") if data else "",
        })
    return rows


def material_checks(materials: list[dict], data) -> list[MaterialCheck]:
    """What the clerk ticked of each material (by its place in the pinned version's list)."""
    checks = []
    for index, material in enumerate(materials):
        prefix = f"m{index}"
        present = bool(data.get(f"{prefix}-present"))
        checks.append(MaterialCheck(material["name"], present=present, original=bool(data.get(f"{prefix}-original")),
                                    copies=_copies(data.get(f"{prefix}-copies", "0")) if present else 0,
                                    note=data.get(f"{prefix}-note", "")[:200]))
    return checks


def date_field(data, name: str, label: str) -> dt.date | None:
    value = (data.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CaseError(f"{label}格式不对，请按“年-月-日”填写，例如 2026-05-20。") from None


def supplement_items(data) -> list[str]:
    """补正: the ticked missing materials plus one line per other thing to supplement."""
    items = [name for name in data.getlist("materials") if name.strip()]
    items += [line.strip() for line in (data.get("other") or "").splitlines() if line.strip()]
    return items


def granted(data) -> bool:
    value = data.get("granted")
    if value not in ("yes", "no"):
        raise CaseError("请选择决定结果：准予或不予。")
    return value == "yes"


def delivery_choices(allowed: list[str]) -> list[tuple[str, str]]:
    """The ways of 送达 the item's standard allows (all of them if it names none)."""
    return [(key, label) for key, label in Delivery.choices if not allowed or label in allowed]
