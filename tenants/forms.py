"""The onboarding form of the admin (county central admins, township admins)."""
from django import forms

from .models import Tier
from .onboarding import AdminSpec, PointSpec


class OnboardPointForm(forms.Form):
    parent = forms.ChoiceField(label="上级服务点")
    tier = forms.ChoiceField(label="层级", choices=[(t, t.label) for t in (Tier.TOWNSHIP, Tier.PARK, Tier.VILLAGE)])
    name = forms.CharField(label="名称", max_length=100)
    slug = forms.CharField(label="标识（子域名）", max_length=50,
                           help_text="小写字母、数字和连字符，例如 jinxi-wenchang")
    region_code = forms.CharField(label="区划代码", max_length=12, min_length=12)
    address = forms.CharField(label="地址", max_length=200, required=False)
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label="经度", max_digits=9, decimal_places=6, required=False)
    phone = forms.CharField(label="电话", max_length=40, required=False)
    hours = forms.CharField(label="办公时间", max_length=200, required=False)
    admin_username = forms.CharField(label="首位管理员用户名", max_length=150)
    admin_password = forms.CharField(label="首位管理员密码", required=False, widget=forms.PasswordInput,
                                     help_text="新建账号时填写；授权已有账号时留空")

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [(p.slug, p.name) for p in parents]

    def to_spec(self) -> PointSpec:
        d = self.cleaned_data
        return PointSpec(
            name=d["name"], slug=d["slug"].strip(), tier=d["tier"], region_code=d["region_code"],
            parent_slug=d["parent"], address=d["address"], latitude=d["latitude"],
            longitude=d["longitude"], phone=d["phone"], hours=d["hours"],
            admin=AdminSpec(d["admin_username"].strip(), d["admin_password"] or None),
        )
