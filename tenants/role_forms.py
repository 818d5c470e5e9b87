"""The form of 人员与角色: an existing account by username, or a new one."""
from django import forms


class GrantRoleForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    role = forms.ChoiceField(label="角色")
    full_name = forms.CharField(label="姓名", max_length=150, required=False,
                                help_text="新建账号时填写；授权本县已有账号时留空")
    password = forms.CharField(label="初始密码", required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="新建账号时填写；授权本县已有账号时留空")

    def __init__(self, *args, roles: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = list(roles or [])

    @property
    def creates_account(self) -> bool:
        return bool(self.cleaned_data.get("password"))
