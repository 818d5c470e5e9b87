"""Network accounts: sign-in by a one-time SMS code and the real-name step.

A code is 6 digits, valid 5 minutes, good for one sign-in and at most
MAX_ATTEMPTS tries; only its HMAC is stored (keyed with SECRET_KEY and bound
to the phone), compared in constant time. Asking for a code never says whether
the phone has an account: the account is made at the first sign-in. A wrong,
expired, used or exhausted code all give the same answer (None). The budgets
per phone and per client address live in the views (online.account_views).

The real-name step checks the ID number's or credit code's checksum
(cases.identity) and saves nothing unless everything is right.
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cases import identity, sms
from cases.models import ApplicantKind, Case

from .models import CitizenAccount, SignInCode

log = logging.getLogger(__name__)

CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
CODE_TEXT = "【一门】您的登录验证码是 {code}，5 分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。"


class AccountError(ValueError):
    """A citizen's input refused, with a message in Chinese; nothing was changed."""


def clean_mobile(value: str) -> str:
    """A mainland mobile number (11 digits, starting 1): codes go only to mobiles."""
    phone = (value or "").strip().replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if len(phone) != 11 or not phone.isdigit() or phone[0] != "1":
        raise AccountError("请输入 11 位手机号码。")
    return phone


def _digest(phone: str, code: str) -> str:
    return salted_hmac("online.signin-code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def send_code(phone: str, now: dt.datetime | None = None) -> None:
    """Make a new code for `phone` (earlier unused codes stop working) and send it."""
    phone = clean_mobile(phone)
    now = now or timezone.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        SignInCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        SignInCode.objects.create(phone=phone, code_hash=_digest(phone, code), created_at=now,
                                  expires_at=now + CODE_LIFETIME)
    # After the commit: a code the provider failed to send is simply never used.
    sms.provider().send_code(phone, CODE_TEXT.format(code=code))


def check_code(phone: str, code: str, now: dt.datetime | None = None) -> CitizenAccount | None:
    """The account signed in by `code` (made on the first sign-in), or None.

    Only the newest live code of the phone counts; every try uses one of its
    MAX_ATTEMPTS, and a right code is used up."""
    try:
        phone = clean_mobile(phone)
    except AccountError:
        return None
    code = (code or "").strip()
    now = now or timezone.now()
    with transaction.atomic():
        sent = (SignInCode.objects.select_for_update()
                .filter(phone=phone, used_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_ATTEMPTS)
                .order_by("-created_at").first())
        if sent is None:
            return None
        sent.attempts += 1
        right = hmac.compare_digest(sent.code_hash, _digest(phone, code))
        if right:
            sent.used_at = now
        sent.save(update_fields=["attempts", "used_at"])
        if not right:
            return None
        return _account_for(phone)


def _account_for(phone: str) -> CitizenAccount:
    account = CitizenAccount.objects.select_related("user").filter(phone=phone).first()
    if account is not None:
        return account
    user = get_user_model()(username=f"citizen-{phone}")
    user.set_unusable_password()  # citizens sign in by code only, never by a password
    user.save()
    return CitizenAccount.objects.create(user=user, phone=phone)


def verify(account: CitizenAccount, *, kind: str, name: str, id_number: str,
           legal_representative: str = "") -> CitizenAccount:
    """The real-name step: a person's name and ID number, or an enterprise's
    name, unified social credit code and legal representative. Raises
    AccountError (Chinese) and saves nothing when anything is wrong."""
    if account.verified:
        raise AccountError("该账号已完成实名认证，不能更改。如需更改，请到服务点窗口办理。")
    if kind not in ApplicantKind.values:
        raise AccountError("请选择个人或企业。")
    name = (name or "").strip()
    legal_representative = (legal_representative or "").strip()
    errors = []
    if not name:
        errors.append("请填写姓名。" if kind == ApplicantKind.PERSON else "请填写企业名称。")
    elif len(name) > 100:
        errors.append("名称过长（最多 100 个字）。")
    try:
        if kind == ApplicantKind.PERSON:
            number = identity.clean_id_card(id_number)
        else:
            number = identity.clean_credit_code(id_number)
    except identity.IdentityError as error:
        errors.append(str(error))
        number = ""
    if kind == ApplicantKind.ENTERPRISE:
        if not legal_representative:
            errors.append("请填写法定代表人姓名。")
        elif len(legal_representative) > 50:
            errors.append("法定代表人姓名过长（最多 50 个字）。")
    else:
        legal_representative = ""
    if errors:
        raise AccountError("".join(errors))
    with transaction.atomic():
        locked = CitizenAccount.objects.select_for_update().get(pk=account.pk)
        if locked.verified:
            raise AccountError("该账号已完成实名认证，不能更改。如需更改，请到服务点窗口办理。")
        locked.kind, locked.name, locked.id_number = kind, name, number
        locked.legal_representative = legal_representative
        locked.verified_at = timezone.now()
        locked.save(update_fields=["kind", "name", "id_number", "legal_representative", "verified_at"])
    for field in ("kind", "name", "id_number", "legal_representative", "verified_at"):
        setattr(account, field, getattr(locked, field))
    return account


def cases_of(account: CitizenAccount):
    """Every case of the account: those applied for online with it, and window
    cases of its verified ID number given with its own (proven) phone number —
    an ID number is no secret, so it alone opens nobody's cases."""
    mine = Q(applicant_user=account.user)
    if account.verified and account.id_number:
        mine |= Q(applicant_id_number=account.id_number, phone=account.phone)
    return Case.objects.filter(mine)
