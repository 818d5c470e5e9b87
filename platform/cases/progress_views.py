"""/progress/ on a point's host: a citizen follows a case by its number and
the last four digits of the phone given at the window.

A wrong number and wrong digits get the same answer, so the page tells a
stranger nothing about which numbers exist. Every lookup counts against a
budget per client address and one per case number (django-ratelimit in the
cell's Redis, as search's budgets): four digits are 10,000 guesses, and these
budgets make guessing them take months. Only what the applicant may read is
shown: status, the public steps, the due date, a masked name.
"""
from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tenants import budgets
from tenants.scope import current_point

from . import identity, services
from .models import ApplicantKind, Case

log = logging.getLogger(__name__)
NOT_FOUND = "没有找到与该办件编号和手机号后四位相符的办件，请核对后再试。"
# Budgets (django-ratelimit rates): per client address, per case number.
DEFAULT_RATES = {"address": "10/m", "number": "30/h"}


def _rate(name: str) -> str:
    return getattr(settings, "CASES_PROGRESS_RATES", {}).get(name) or DEFAULT_RATES[name]


def over_budget(request, number: str) -> int:
    """Seconds to wait when a budget is spent, else 0 (Redis unreachable: not limited).
    Shared with the public lookup API (cases.public_api), which spends the same budgets."""
    return max(budgets.spend(request, "cases.progress.address", _rate("address")),
               budgets.spend(request, "cases.progress.number", _rate("number"), key=number.strip()[:40]))


def find(point, number: str, tail: str) -> Case | None:
    """The case with this number whose phone ends in `tail`; in the point's county network,
    or anywhere for the network's own host (point None)."""
    if not number or len(tail) != 4 or not tail.isdigit():
        return None
    cases = Case.objects.in_network(point) if point is not None else Case.objects.all()
    case = cases.filter(number=number).select_related("origin_point").first()
    phone = case.phone.replace("-", "") if case else "0000"
    # The same comparison whether or not the number exists.
    return case if hmac.compare_digest(phone[-4:], tail) and case is not None else None


def shown(case: Case) -> dict:
    name = case.applicant_name if case.applicant_kind == ApplicantKind.ENTERPRISE else \
        identity.mask_name(case.applicant_name)
    events = [(event, services.ACTION_LABELS.get(event.action, event.action))
              for event in case.events.filter(public=True).select_related("point").order_by("seq")]
    return {"case": case, "name": name, "events": events, "days_left": services.days_left(case)}


@never_cache
@require_http_methods(["GET", "POST"])
def progress(request):
    point = current_point(request)
    context = {"number": request.GET.get("number", "").strip()[:40], "point": point}
    if request.method == "POST":
        number = request.POST.get("number", "").strip()[:40]
        tail = request.POST.get("phone_tail", "").strip()
        context["number"] = number
        wait = over_budget(request, number)
        if wait:
            context["error"] = f"查询过于频繁，请 {wait} 秒后再试。"
            response = TemplateResponse(request, "cases/progress.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        case = find(point, number, tail) if point is not None else None
        if case is None:
            context["error"] = NOT_FOUND
        else:
            context.update(shown(case))
    return TemplateResponse(request, "cases/progress.html", context)
