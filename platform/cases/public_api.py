"""The public API on the network's host (described in cases/openapi_public.json):

POST /api/cases/lookup  — a case by its number and the phone's last four digits:
    status, public steps, due date. No such case and wrong digits get the same
    404 body; every call spends the progress page's budgets (per client
    address, per case number), so the API is no faster way to walk numbers.
GET /api/results/<token> — an electronic result's verification, as /verify/<token> shows it.

No session, no cookies: the lookup is CSRF-exempt (it changes nothing and reads
only with the number and the digits)."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import progress_views, results
from .result_views import find_result

OPENAPI = Path(__file__).with_name("openapi_public.json")
NOT_FOUND = {"error": "not_found", "message": progress_views.NOT_FOUND}


@cache
def load_openapi() -> dict:
    return json.loads(OPENAPI.read_text("utf-8"))


def openapi(request):
    return JsonResponse(load_openapi(), json_dumps_params={"ensure_ascii": False})


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"error": "bad_request", "message": message}, status=400)


def _body(request) -> dict | None:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@never_cache
@require_POST
def lookup(request):
    body = _body(request)
    if body is None:
        return _bad("请求体应为 JSON 对象：{\"number\": 办件编号, \"phone_tail\": 手机号后四位}。")
    number, tail = body.get("number"), body.get("phone_tail")
    if not isinstance(number, str) or not isinstance(tail, str) or not 1 <= len(number) <= 40 \
            or len(tail) != 4 or not tail.isascii() or not tail.isdigit():
        return _bad("请提供办件编号（1–40 个字符）和手机号后四位（4 位数字）。")
    wait = progress_views.over_budget(request, number)
    if wait:
        response = JsonResponse({"error": "too_many_requests", "message": f"查询过于频繁，请 {wait} 秒后再试。"},
                                status=429)
        response["Retry-After"] = str(wait)
        return response
    # A NUL no case number has (and PostgreSQL refuses in a query): the answer for no such case.
    case = progress_views.find(None, number.strip(), tail) if "\x00" not in number else None
    if case is None:
        return JsonResponse(NOT_FOUND, status=404)
    shown = progress_views.shown(case)
    return JsonResponse({
        "number": case.number, "item": case.item_name, "applicant": shown["name"],
        "status": case.status, "status_label": case.get_status_display(), "point": case.origin_point.name,
        "due_date": case.due_date.isoformat() if case.due_date else None, "days_left": shown["days_left"],
        "supplement": list(case.supplement_list) if case.status == "supplement" else [],
        "timeline": [{"at": event.at.isoformat(), "step": label,
                      "point": event.point.name if event.point else None}
                     for event, label in shown["events"]],
    }, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # reads only; an undeclared method gets 405, not the CSRF check's 403
@never_cache
@require_GET
def result(request, token: str):
    found = find_result(token)
    if found is None:
        return JsonResponse({"error": "not_found", "message": "没有找到这份电子文书。"}, status=404)
    return JsonResponse({"token": found.token, **results.public_view(found)}, json_dumps_params={"ensure_ascii": False})



