"""Applicants' identifiers: checked by their checksums (python-stdnum) and
masked wherever they are shown, except the one case page of a user allowed to
see them (cases.access.may_see_personal_data)."""
from __future__ import annotations

import re

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class IdentityError(ValueError):
    """A bad identifier, with the message a clerk reads."""


def clean_id_card(value: str, label: str = "身份证号") -> str:
    """An 18-digit resident ID card number (GB 11643), checksum and birth date checked."""
    number = (value or "").strip().upper().replace(" ", "")
    if not number:
        raise IdentityError(f"请填写{label}。")
    try:
        return ric.validate(number)
    except stdnum_errors.InvalidChecksum:
        raise IdentityError(f"{label}“{mask_id(number)}”校验位不对，请核对后重新输入。") from None
    except stdnum_errors.InvalidLength:
        raise IdentityError(f"{label}应为 18 位，收到 {len(number)} 位。") from None
    except stdnum_errors.ValidationError:
        raise IdentityError(f"{label}格式不对（出生日期或字符有误），请核对后重新输入。") from None


def clean_credit_code(value: str) -> str:
    """An 18-character unified social credit code (GB 32100), checksum checked."""
    code = (value or "").strip().upper().replace(" ", "")
    if not code:
        raise IdentityError("请填写统一社会信用代码。")
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidChecksum:
        raise IdentityError("统一社会信用代码校验位不对，请核对后重新输入。") from None
    except stdnum_errors.InvalidLength:
        raise IdentityError(f"统一社会信用代码应为 18 位，收到 {len(code)} 位。") from None
    except stdnum_errors.ValidationError:
        raise IdentityError("统一社会信用代码含有不允许的字符，请核对后重新输入。") from None


def clean_phone(value: str) -> str:
    phone = (value or "").strip().replace(" ", "")
    if not PHONE_RE.match(phone):
        raise IdentityError("联系电话应为 11 位手机号或带区号的固定电话。")
    return phone


def mask_id(value: str) -> str:
    """430104********1234: region kept, birth date and sequence hidden."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    digits = value.replace("-", "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳小明 → 欧***; company names stay (they are public)."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)
