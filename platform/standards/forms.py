"""The draft editor: one form for the item's elements, a formset for its
materials and one for its FAQ. The rules are `elements.normalize`'s, so the
admin and the importer accept and refuse the same things; its problems are put
next to the fields they concern.
"""
from __future__ import annotations

import re

from django import forms

from . import elements

LIST_FIELDS = ("aliases", "steps")
TEXTAREAS = ("conditions", "quantity_limit", "fee", "fee_basis", "fee_waiver", "visit_reason")


def _choices(values, labels=None):
    return [(v, (labels or {}).get(v, v)) for v in values]


def _lines(value) -> str:
    return "\n".join(value or [])


def legal_lines(entries) -> str:
    from .exporting import legal_lines as lines

    return lines(entries or [])


def parse_legal_lines(text: str) -> list[dict]:
    from .import_readers import _legal

    return _legal(text)


class DraftForm(forms.Form):
    code = forms.CharField(label=elements.LABELS["code"], disabled=True, required=False)
    name = forms.CharField(label=elements.LABELS["name"], required=False, max_length=100)
    aliases = forms.CharField(label=elements.LABELS["aliases"], required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), help_text="每行一个，如群众常说的叫法。")
    type = forms.ChoiceField(label=elements.LABELS["type"], required=False,
                             choices=[("", "—")] + _choices(elements.ITEM_TYPES))
    department = forms.CharField(label=elements.LABELS["department"], required=False, max_length=50)
    target = forms.MultipleChoiceField(label=elements.LABELS["target"], required=False,
                                       choices=_choices(elements.TARGETS), widget=forms.CheckboxSelectMultiple)
    themes = forms.MultipleChoiceField(label=elements.LABELS["themes"], required=False,
                                       choices=_choices(elements.THEMES), widget=forms.CheckboxSelectMultiple)
    accept_tiers = forms.MultipleChoiceField(label=elements.LABELS["accept_tiers"], required=False,
                                             choices=_choices(elements.TIERS, elements.TIER_LABELS),
                                             widget=forms.CheckboxSelectMultiple)
    decide_tier = forms.ChoiceField(label=elements.LABELS["decide_tier"], required=False,
                                    choices=[("", "—")] + _choices(elements.DECIDE_TIERS, elements.TIER_LABELS))
    park_delegable = forms.BooleanField(label=elements.LABELS["park_delegable"], required=False)
    legal_basis = forms.CharField(label=elements.LABELS["legal_basis"], required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="每行一部法规：《法规名称》第X条；需要附条文时在后面加“｜条文内容”。")
    conditions = forms.CharField(label=elements.LABELS["conditions"], required=False, widget=forms.Textarea)
    quantity_limit = forms.CharField(label=elements.LABELS["quantity_limit"], required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    steps = forms.CharField(label=elements.LABELS["steps"], required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="每行一个环节，按办理顺序。")
    statutory_days = forms.CharField(label=elements.LABELS["statutory_days"], required=False,
                                     widget=forms.NumberInput(attrs={"min": 0}))
    promised_days = forms.CharField(label=elements.LABELS["promised_days"], required=False,
                                    widget=forms.NumberInput(attrs={"min": 0}), help_text="0 表示即办件。")
    fee = forms.CharField(label=elements.LABELS["fee"], required=False, widget=forms.Textarea(attrs={"rows": 2}))
    fee_basis = forms.CharField(label=elements.LABELS["fee_basis"], required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))
    fee_waiver = forms.CharField(label=elements.LABELS["fee_waiver"], required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    visits = forms.CharField(label=elements.LABELS["visits"], required=False,
                             widget=forms.NumberInput(attrs={"min": 0, "max": 9}))
    visit_reason = forms.CharField(label=elements.LABELS["visit_reason"], required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    online = forms.ChoiceField(label=elements.LABELS["online"], required=False,
                               choices=[("", "—")] + _choices(elements.ONLINE_LEVELS))
    online_url = forms.CharField(label=elements.LABELS["online_url"], required=False, max_length=500,
                                 help_text="以 http:// 或 https:// 开头的完整网址。")
    delivery = forms.MultipleChoiceField(label=elements.LABELS["delivery"], required=False,
                                         choices=_choices(elements.DELIVERY_WAYS),
                                         widget=forms.CheckboxSelectMultiple)
    result = forms.CharField(label=elements.LABELS["result"], required=False, max_length=200)
    phone = forms.CharField(label=elements.LABELS["phone"], required=False, max_length=40)
    note = forms.CharField(label="修订说明", required=False, max_length=300,
                           help_text="这一版改了什么、为什么改（审核人和各服务点会看到）。")

    @classmethod
    def initial_from(cls, content: dict, note: str = "") -> dict:
        initial = {key: content.get(key, "") for key in cls.base_fields if key in content}
        for key in LIST_FIELDS:
            initial[key] = _lines(content.get(key))
        initial["target"] = elements.targets(content)
        initial["legal_basis"] = legal_lines(content.get("legal_basis"))
        initial["note"] = note
        return initial

    def raw(self) -> dict:
        data = self.cleaned_data
        raw = {key: data.get(key) for key in self.fields if key not in ("code", "note")}
        for key in LIST_FIELDS:
            raw[key] = [line.strip() for line in (data.get(key) or "").splitlines() if line.strip()]
        raw["target"] = ",".join(data.get("target") or [])
        raw["legal_basis"] = parse_legal_lines(data.get("legal_basis") or "")
        return raw


class MaterialForm(forms.Form):
    name = forms.CharField(label=elements.MATERIAL_LABELS["name"], required=False, max_length=200)
    required = forms.BooleanField(label=elements.MATERIAL_LABELS["required"], required=False, initial=True)
    form = forms.ChoiceField(label=elements.MATERIAL_LABELS["form"], required=False,
                             choices=[("", "—")] + _choices(elements.MATERIAL_FORMS))
    copies = forms.IntegerField(label=elements.MATERIAL_LABELS["copies"], required=False, initial=1,
                             widget=forms.NumberInput(attrs={"min": 0, "max": 99, "style": "width:5em"}))
    source = forms.ChoiceField(label=elements.MATERIAL_LABELS["source"], required=False,
                               choices=[("", "—")] + _choices(elements.MATERIAL_SOURCES))
    note = forms.CharField(label=elements.MATERIAL_LABELS["note"], required=False, max_length=500)
    tolerable = forms.BooleanField(label=elements.MATERIAL_LABELS["tolerable"], required=False,
                                   help_text="非关键材料，可先容缺受理、限期补交")
    blank_form_url = forms.CharField(label=elements.MATERIAL_LABELS["blank_form_url"], required=False,
                                     max_length=500)
    sample_url = forms.CharField(label=elements.MATERIAL_LABELS["sample_url"], required=False, max_length=500)


class FaqForm(forms.Form):
    q = forms.CharField(label="问题", required=False, max_length=300)
    a = forms.CharField(label="回答", required=False, widget=forms.Textarea(attrs={"rows": 2}))


MaterialFormSet = forms.formset_factory(MaterialForm, extra=2, can_delete=True)
FaqFormSet = forms.formset_factory(FaqForm, extra=1, can_delete=True)

_NTH = re.compile(r"^第 (\d+) (?:项|条)")


class DraftEditor:
    """The three parts of the editor, bound together; `content()` is the clean
    content, or None with every problem placed next to its field."""

    def __init__(self, content: dict, note: str = "", data=None):
        self.form = DraftForm(data, initial=DraftForm.initial_from(content, note))
        self.form.fields["code"].initial = content.get("code", "")
        self.materials = MaterialFormSet(data, prefix="materials", initial=content.get("materials", []))
        self.faq = FaqFormSet(data, prefix="faq", initial=content.get("faq", []))
        self.code = content.get("code", "")
        self._kept_materials: list[forms.Form] = []
        self._kept_faq: list[forms.Form] = []

    @property
    def bound(self) -> bool:
        return self.form.is_bound

    def _kept(self, formset) -> list[forms.Form]:
        kept = []
        for f in formset.forms:
            if formset.can_delete and formset._should_delete_form(f):
                continue
            if not f.has_changed() and f.prefix.split("-")[-1].isdigit() and \
                    int(f.prefix.split("-")[-1]) >= formset.initial_form_count():
                continue  # an untouched empty row
            kept.append(f)
        return kept

    def content(self) -> dict | None:
        valid = all([self.form.is_valid(), self.materials.is_valid(), self.faq.is_valid()])
        if not valid:
            return None
        raw = self.form.raw()
        raw["code"] = self.code
        self._kept_materials = self._kept(self.materials)
        self._kept_faq = self._kept(self.faq)
        raw["materials"] = [{k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in self._kept_materials]
        raw["faq"] = [{k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in self._kept_faq]
        try:
            return elements.normalize(raw)
        except elements.ContentError as exc:
            self.add_problems(exc.problems)
            return None

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        for key, messages in problems.items():
            for message in messages:
                if key == "materials":
                    self._place(self.materials, self._kept_materials, message, elements.MATERIAL_LABELS)
                elif key == "faq":
                    self._place(self.faq, self._kept_faq, message, {"q": "问题", "a": "回答"})
                elif key in self.form.fields:
                    self.form.add_error(key, message)
                else:
                    self.form.add_error(None, f"{elements.LABELS.get(key, key)}：{message}")

    @staticmethod
    def _place(formset, kept, message, labels) -> None:
        match = _NTH.match(message)
        if match and int(match.group(1)) <= len(kept):
            row = kept[int(match.group(1)) - 1]
            rest = message[match.end():]
            for key, label in labels.items():
                if rest.startswith(label):
                    row.add_error(key, rest[len(label):] or message)
                    return
            row.add_error(None, rest or message)
            return
        formset._non_form_errors = formset.non_form_errors() + [message]

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors or self.materials.total_error_count() or self.faq.total_error_count()
                    or self.materials.non_form_errors() or self.faq.non_form_errors())


class RejectForm(forms.Form):
    review_note = forms.CharField(label="审核意见", max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": "退回时请写明审核意见。"})


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="标准事项文件", help_text="由本库导出的 Excel（.xlsx），或目录格式的 JSON 文件。")
    note = forms.CharField(label="修订说明", max_length=300, initial="导入", required=False)

    def clean_file(self):
        from .import_readers import MAX_FILE_BYTES

        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".json", ".xlsx")):
            raise forms.ValidationError("请上传 .json 或 .xlsx 文件。")
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"文件不能超过 {MAX_FILE_BYTES // 1024 // 1024} MB"
                                        f"（这个文件 {upload.size / 1024 / 1024:.1f} MB）；请分成几个文件导入。")
        return upload
