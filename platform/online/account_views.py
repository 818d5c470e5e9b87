"""The citizen's own pages on the network host: sign-in by code, the real-name
step, 我的办件 and one case's public timeline. Thin: parse, spend the budgets,
call online.accounts, render."""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases import identity, services
from cases.models import ApplicantKind, Status
from tenants import budgets

from . import accounts, session
from .models import CitizenAccount
from .session import citizen_required, current_account

# The same answer for every failed code: wrong, expired, used, exhausted, or a phone without an account.
WRONG_CODE = "验证码不正确或已失效，请检查短信，或重新获取验证码。"
PHONE_SESSION_KEY = "online_signin_phone"
# Budgets (django-ratelimit rates), settings ONLINE_SIGNIN_RATES overrides any of them ("off": none).
# The per-address budgets are generous (a whole township may sign in from one NAT address); the
# per-phone ones are what stop SMS bombing of a stranger's phone and guessing (10 tries an hour of 1,000,000).
DEFAULT_RATES = {
    "send.address": "60/h", "send.phone": "5/h",
    "check.address": "200/h", "check.phone": "10/h",
}


def _rate(name: str) -> str:
    return getattr(settings, "ONLINE_SIGNIN_RATES", {}).get(name) or DEFAULT_RATES[name]


def _over_budget(request, action: str, phone: str) -> int:
    """Spend one request of the address's and the phone's budget for `action`; the seconds to wait."""
    return max(budgets.spend(request, f"online.{action}.address", _rate(f"{action}.address")),
               budgets.spend(request, f"online.{action}.phone", _rate(f"{action}.phone"), key=phone or "-"))


def _signed_in(request) -> CitizenAccount:
    """The account of a view behind @citizen_required (which has made sure there is one)."""
    account = current_account(request)
    if account is None:
        raise PermissionDenied
    return account


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/my/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return "/my/"
    return target


def _too_many(request, template: str, context: dict, wait: int) -> TemplateResponse:
    context["error"] = f"操作过于频繁，请 {wait} 秒后再试。"
    response = TemplateResponse(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def login(request):
    """Step 1: the phone number; a code is sent to it."""
    context = {"next": _next(request), "phone": ""}
    if request.method == "POST":
        raw = request.POST.get("phone", "").strip()[:20]
        context["phone"] = raw
        try:
            phone = accounts.clean_mobile(raw)
        except accounts.AccountError as error:
            context["error"] = str(error)
            return TemplateResponse(request, "online/login.html", context, status=400)
        wait = _over_budget(request, "send", phone)
        if wait:
            return _too_many(request, "online/login.html", context, wait)
        accounts.send_code(phone)
        request.session[PHONE_SESSION_KEY] = phone
        return HttpResponseRedirect(f"/login/code/?{_query(context['next'])}")
    return TemplateResponse(request, "online/login.html", context)


def _query(target: str) -> str:
    return urlencode({"next": target})


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """Step 2: the code from the SMS; right → signed in (the account made at the first sign-in)."""
    phone = request.session.get(PHONE_SESSION_KEY)
    if not phone:
        return redirect(f"/login/?{_query(_next(request))}")
    context = {"next": _next(request), "masked_phone": identity.mask_phone(phone)}
    if request.method == "POST":
        wait = _over_budget(request, "check", phone)
        if wait:
            return _too_many(request, "online/login_code.html", context, wait)
        account = accounts.check_code(phone, request.POST.get("code", "")[:12])
        if account is None:
            context["error"] = WRONG_CODE
            return TemplateResponse(request, "online/login_code.html", context, status=400)
        session.sign_in(request, account)  # a fresh session key: one made before signing in is worth nothing
        request.session.pop(PHONE_SESSION_KEY, None)
        if not account.verified:
            return redirect(f"/account/verify/?{_query(context['next'])}")
        return HttpResponseRedirect(context["next"])
    return TemplateResponse(request, "online/login_code.html", context)


@require_POST
def logout(request):
    session.sign_out(request)
    return redirect("/login/")


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """The real-name step (once per account)."""
    account = _signed_in(request)
    data = request.POST if request.method == "POST" else {}
    context = {
        "account": account, "next": _next(request),
        "kind": data.get("kind", account.kind or ApplicantKind.PERSON),
        "name": data.get("name", "")[:100], "id_number": data.get("id_number", "")[:30],
        "legal_representative": data.get("legal_representative", "")[:50],
        "masked_id": identity.mask_id(account.id_number) if account.verified else "",
    }
    if request.method == "POST":
        try:
            accounts.verify(account, kind=context["kind"], name=context["name"], id_number=context["id_number"],
                            legal_representative=context["legal_representative"])
        except accounts.AccountError as error:
            context["error"] = str(error)
            return TemplateResponse(request, "online/verify.html", context, status=400)
        return HttpResponseRedirect(context["next"])
    return TemplateResponse(request, "online/verify.html", context)


def _link_if_routed(path: str) -> str | None:
    """A page another part of the site serves (helper apps add them), linked only once it exists."""
    try:
        resolve(path)
    except Resolver404:
        return None
    return path


def _row(case) -> dict:
    return {
        "case": case,
        "days_left": services.days_left(case),
        "asked": case.supplement_list if case.status == Status.SUPPLEMENT else [],
    }


@never_cache
@citizen_required
def my_cases(request):
    """我的办件: every case of the account, open ones first."""
    account = _signed_in(request)
    cases = (accounts.cases_of(account).select_related("origin_point")
             .order_by("-received_at", "-pk"))
    rows = [_row(case) for case in cases]
    return TemplateResponse(request, "online/my_cases.html", {
        "account": account,
        "open_rows": [r for r in rows if not r["case"].is_final],
        "done_rows": [r for r in rows if r["case"].is_final],
    })


def _own_case(request, number: str):
    """A case of the signed-in account; anybody else's case is 404, like a missing one."""
    case = accounts.cases_of(_signed_in(request)).filter(number=number).select_related("origin_point").first()
    if case is None:
        raise Http404("没有这个办件。")
    return case


@never_cache
@citizen_required
def my_case(request, number: str):
    """One case of the account, its public steps and its electronic results."""
    account = _signed_in(request)
    case = _own_case(request, number)
    events = [(event, services.ACTION_LABELS.get(event.action, event.action))
              for event in case.events.filter(public=True).select_related("point").order_by("seq")]
    row = _row(case)
    return TemplateResponse(request, "online/my_case.html", {
        **row, "account": account, "events": events, "results": list(case.results.all()),
        "supplement_url": _link_if_routed(f"/my/{case.number}/supplement/") if row["asked"] else None,
        "rate_url": _link_if_routed(f"/my/{case.number}/rate/") if case.status == Status.CLOSED else None,
    })


@never_cache
@citizen_required
def my_result_pdf(request, number: str, token: str):
    """The applicant's own copy of an electronic result (电子送达), also once revoked:
    the verification page it links to says whether it still holds."""
    case = _own_case(request, number)
    result = case.results.filter(token=token).first()
    if result is None:
        raise Http404("没有这份文书。")
    response = FileResponse(result.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=f"{case.number}-{result.title}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response
