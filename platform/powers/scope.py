"""Who a grant covers: enterprises by unified social credit code (checked by
its check character, GB 32100-2015) or by the registration region code the
code carries (its 3rd–8th characters, the 登记管理机关行政区划码)."""
from __future__ import annotations

import re

from stdnum.cn import uscc

from .errors import GrantError

REGION = re.compile(r"^\d{6}$")


def region_of(credit_code: str) -> str:
    return credit_code[2:8]


def clean_credit_code(value: str) -> str:
    """The code, upper-case and compact; GrantError for a wrong one (with the reason)."""
    code = uscc.compact(str(value or ""))
    if not code:
        raise GrantError("统一社会信用代码不能为空。")
    try:
        return uscc.validate(code)
    except Exception:
        raise GrantError(f"统一社会信用代码“{value}”不正确（应为 18 位且校验位正确）。") from None


def clean_credit_codes(values) -> list[str]:
    """Every code checked; all wrong ones named in one message."""
    codes, wrong = [], []
    for value in values:
        if not str(value or "").strip():
            continue
        try:
            codes.append(clean_credit_code(value))
        except GrantError:
            wrong.append(str(value).strip())
    if wrong:
        shown = "、".join(wrong[:10]) + (f" 等 {len(wrong)} 个" if len(wrong) > 10 else "")
        raise GrantError(f"以下统一社会信用代码不正确（应为 18 位且校验位正确）：{shown}。")
    return list(dict.fromkeys(codes))


def clean_region_codes(values) -> list[str]:
    codes = [str(v).strip() for v in values if str(v or "").strip()]
    wrong = [c for c in codes if not REGION.match(c)]
    if wrong:
        raise GrantError(f"园区登记区划代码应为 6 位数字：{'、'.join(wrong[:10])}。")
    return list(dict.fromkeys(codes))


def applicant_code(applicant_id: str) -> str | None:
    """The applicant's credit code, or None (a person's ID number, an empty or wrong code)."""
    code = uscc.compact(str(applicant_id or ""))
    return code if len(code) == 18 and uscc.is_valid(code) else None


def covers(credit_codes, region_codes, applicant_id: str) -> bool:
    code = applicant_code(applicant_id)
    return code is not None and (code in credit_codes or region_of(code) in region_codes)


def overlap(a_codes, a_regions, b_codes, b_regions) -> str | None:
    """What two scopes share (a code or a region), or None."""
    a_codes, b_codes, a_regions, b_regions = set(a_codes), set(b_codes), set(a_regions), set(b_regions)
    if shared := a_codes & b_codes:
        return f"企业 {sorted(shared)[0]}" + (f" 等 {len(shared)} 家" if len(shared) > 1 else "")
    if shared := a_regions & b_regions:
        return f"登记区划 {sorted(shared)[0]}"
    for code in sorted(a_codes):
        if region_of(code) in b_regions:
            return f"企业 {code}（登记区划 {region_of(code)}）"
    for code in sorted(b_codes):
        if region_of(code) in a_regions:
            return f"登记区划 {region_of(code)} 的企业 {code}"
    return None
