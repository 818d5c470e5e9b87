"""Search pages of a point's Wagtail admin: its search statistics (editors and
above) and, at the county point, the county's synonym table (central admins;
the shared groups are shown beside it, read-only)."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from standards import authority
from tenants import access

from . import stats, synonyms
from .models import SearchDocument


def search_stats(request):
    point = request.point
    if not access.may_read_search_stats(request.user, point):
        raise PermissionDenied("只有本点编辑和管理员可以查看搜索统计。")
    summary = stats.summary(point)
    names = dict(SearchDocument.objects.of_point(point).values_list("code", "name"))
    for row in summary["top_clicked"]:
        row["name"] = names.get(row["code"], row["code"])
    return TemplateResponse(request, "search/admin/stats.html", {
        "point": point, **summary, "chart": stats.chart(summary["daily"]),
    })


def synonym_table(request):
    point = request.point
    if not access.may_manage_standards(request.user, point):
        raise PermissionDenied("只有县级中心管理员可以编辑同义词。")
    # Always the county's own table: no request names another authority's.
    own = authority.of_point(point)
    text, problems = synonyms.as_text(own), []
    if request.method == "POST":
        text = request.POST.get("groups", "")
        try:
            count = synonyms.replace_all(text, own, request.user)
        except synonyms.SynonymError as exc:
            problems = exc.problems
        else:
            messages.success(request, f"已保存 {count} 组同义词，新的搜索立即生效。")
            return redirect("search_synonyms")
    return TemplateResponse(request, "search/admin/synonyms.html",
                            {"text": text, "problems": problems, "lines": text.count("\n") + 1,
                             "shared": synonyms.shared_text(point)},
                            status=400 if problems else 200)
