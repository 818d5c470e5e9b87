"""好差评 online: /my/<number>/rate/ for a signed-in applicant's own closed case
(the form and the supervisors' reply are cases.result_views.rating_page's, as
on the receipt's QR page and the window's tablet). Anybody else's case is 404."""
from __future__ import annotations

from django.http import Http404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.models import RatingChannel
from cases.result_views import rating_page

from . import accounts
from .session import citizen_required, current_account


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def rate(request, number: str):
    account = current_account(request)
    case = accounts.cases_of(account).filter(number=number).select_related("origin_point").first() \
        if account is not None else None
    if case is None:
        raise Http404("没有这个办件。")
    return rating_page(request, case, channel=RatingChannel.ONLINE)
