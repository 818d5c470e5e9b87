"""A point's search statistics for its editors: searches and searches that
found nothing per day, what was not found, what was looked for, clicks."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from tenants.models import ServicePoint

from .models import SearchClick, SearchLog


def summary(point: ServicePoint, days: int = 30) -> dict:
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.now() - timedelta(days=days)
    logs = SearchLog.objects.of_point(point).filter(created_at__date__gte=first)
    per_day = {row["day"]: row for row in logs.annotate(day=TruncDate("created_at")).values("day")
               .annotate(searches=Count("pk"), empty=Count("pk", filter=Q(total=0))).order_by()}
    daily = []
    for n in range(days):
        day = first + timedelta(days=n)
        row = per_day.get(day, {})
        daily.append({"day": day, "searches": row.get("searches", 0), "empty": row.get("empty", 0)})
    searches = sum(d["searches"] for d in daily)
    empty = sum(d["empty"] for d in daily)
    clicks = SearchClick.objects.of_point(point).filter(created_at__gte=since).count()
    return {
        "days": days, "daily": daily, "searches": searches, "empty": empty, "clicks": clicks,
        "empty_rate": round(100 * empty / searches, 1) if searches else 0,
        "top_empty": _top(logs.filter(total=0)),
        "top": _top(logs),
        "top_clicked": list(SearchClick.objects.of_point(point).filter(created_at__gte=since).values("code")
                            .annotate(n=Count("pk")).order_by("-n", "code")[:10]),
    }


def _top(logs, limit: int = 20) -> list[dict]:
    return list(logs.values("query").annotate(n=Count("pk")).order_by("-n", "query")[:limit])


def chart(daily: list[dict], width: int = 600, height: int = 160) -> dict:
    """Bars for an SVG drawn by the template (attributes only: no inline style under the CSP)."""
    peak = max([d["searches"] for d in daily] + [1])
    step = width / len(daily)
    bars = []
    for n, d in enumerate(daily):
        h = round(height * d["searches"] / peak, 1)
        e = round(height * d["empty"] / peak, 1)
        bars.append({**d, "x": round(n * step + 1, 1), "w": round(step - 2, 1), "h": h, "y": round(height - h, 1),
                     "eh": e, "ey": round(height - e, 1)})
    return {"bars": bars, "width": width, "height": height, "peak": peak}


def prune(days: int | None = None) -> int:
    """Drop search log and click rows older than SEARCH_LOG_DAYS (beat, daily):
    the statistics show 30 days; a year and more is kept for comparisons."""
    from django.conf import settings

    cutoff = timezone.now() - timedelta(days=days or settings.SEARCH_LOG_DAYS)
    removed, _ = SearchLog.objects.filter(created_at__lt=cutoff).delete()
    clicks, _ = SearchClick.objects.filter(created_at__lt=cutoff).delete()
    return removed + clicks
