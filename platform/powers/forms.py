"""The grant form: it parses what a central admin typed into a GrantSpec.
Checks of substance (delegable items, the park, credit codes, overlaps) are
powers.services'; a refusal comes back as GrantError."""
from __future__ import annotations

from django import forms

from tenants.models import ServicePoint, Tier

from . import excel
from .errors import GrantError
from .models import OnEnd, PowerGrant, ScopeKind, Stage
from .services import GrantSpec

TEXT = {"class": "w-field__input"}
LINES = {"class": "w-field__input", "rows": 6, "spellcheck": "false"}


def _lines(text: str) -> list[str]:
    return [part for part in excel.SPLIT.split(text or "") if part]


class GrantForm(forms.Form):
    title = forms.CharField(label="赋权名称", max_length=100, required=False, widget=forms.TextInput(attrs=TEXT))
    department = forms.CharField(label="赋权部门（县级实施部门）", max_length=50, widget=forms.TextInput(attrs=TEXT),
                                 help_text="与事项标准中的实施部门一致，例如：市场监督管理局")
    grantee = forms.ModelChoiceField(label="承接园区", queryset=ServicePoint.objects.none(), empty_label=None)
    item_codes = forms.CharField(label="赋权事项编码（每行一个）", widget=forms.Textarea(attrs=LINES),
                                 help_text="只能赋权标准中标明“可赋权园区”的事项；下方列出本县可赋权的事项。")
    stages = forms.MultipleChoiceField(label="委托环节", choices=Stage.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[s for s, _ in Stage.choices])
    scope_kind = forms.ChoiceField(label="适用范围", choices=ScopeKind.choices, widget=forms.RadioSelect,
                                   initial=ScopeKind.ENTERPRISES)
    credit_codes = forms.CharField(label="园区企业统一社会信用代码（每行一个）", required=False,
                                   widget=forms.Textarea(attrs=LINES))
    credit_file = forms.FileField(label="或从 Excel 导入企业名单", required=False,
                                  help_text="第一张表中的 18 位统一社会信用代码都会读入（校验位逐个核对）。")
    region_codes = forms.CharField(label="园区登记区划代码（6 位，每行一个）", required=False,
                                   widget=forms.Textarea(attrs={**LINES, "rows": 2}))
    instrument_number = forms.CharField(label="委托书（授权文件）文号", max_length=100,
                                        widget=forms.TextInput(attrs=TEXT))
    instrument_date = forms.DateField(label="委托书日期", widget=forms.DateInput(attrs={"type": "date"}))
    instrument_file = forms.FileField(label="委托书文件（PDF）", required=False)
    notice_url = forms.URLField(label="公告网址", required=False, widget=forms.URLInput(attrs=TEXT))
    seal_name = forms.CharField(label="审批专用章名称", max_length=100, widget=forms.TextInput(attrs=TEXT))
    seal_image = forms.FileField(label="审批专用章图片（PNG，用于电子文书）", required=False)
    valid_from = forms.DateField(label="生效日期", widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    on_end = forms.ChoiceField(label="赋权终止时在办件", choices=OnEnd.choices, widget=forms.RadioSelect,
                               initial=OnEnd.FINISH)
    confirm_by_county = forms.BooleanField(label="县级部门见章盖章（确认园区的办理结果，不再重复审查）",
                                           required=False)

    def __init__(self, *args, county: ServicePoint, **kwargs):
        super().__init__(*args, **kwargs)
        grantee = self.fields["grantee"]
        assert isinstance(grantee, forms.ModelChoiceField)
        grantee.queryset = ServicePoint.objects.filter(parent=county, tier=Tier.PARK)

    @classmethod
    def initial_from(cls, grant: PowerGrant) -> dict:
        return {
            "title": grant.title, "department": grant.department, "grantee": grant.grantee_id,
            "item_codes": "\n".join(sorted(grant.items.values_list("code", flat=True))), "stages": grant.stages,
            "scope_kind": grant.scope_kind, "credit_codes": "\n".join(grant.credit_codes),
            "region_codes": "\n".join(grant.region_codes), "instrument_number": grant.instrument_number,
            "instrument_date": grant.instrument_date, "notice_url": grant.notice_url, "seal_name": grant.seal_name,
            "valid_from": grant.valid_from, "valid_to": grant.valid_to, "on_end": grant.on_end,
            "confirm_by_county": grant.confirm_by_county,
        }

    def spec(self) -> GrantSpec:
        data = self.cleaned_data
        codes = _lines(data["credit_codes"])
        if data.get("credit_file"):
            codes += excel.read_credit_codes(data["credit_file"].read())
        image = data.get("seal_image")
        if image and not (image.name.lower().endswith(".png") and image.read(8) == b"\x89PNG\r\n\x1a\n"):
            raise GrantError("审批专用章图片应为 PNG 文件。")
        if image:
            image.seek(0)
        return GrantSpec(
            title=data["title"], department=data["department"], grantee=data["grantee"],
            item_codes=_lines(data["item_codes"]), stages=data["stages"], scope_kind=data["scope_kind"],
            credit_codes=codes, region_codes=_lines(data["region_codes"]),
            instrument_number=data["instrument_number"], instrument_date=data["instrument_date"],
            instrument_file=data.get("instrument_file"), notice_url=data["notice_url"], seal_name=data["seal_name"],
            seal_image=image, valid_from=data["valid_from"], valid_to=data["valid_to"], on_end=data["on_end"],
            confirm_by_county=data["confirm_by_county"])
