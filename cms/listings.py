"""What the point's home page, theme, department and index listings show.

Every function runs inside the point's schema and reads the live guides in one
query (`ItemGuidePage` joined to its pinned standard version, which lives in
public); grouping and counting happen in Python. A point has at most a few
hundred guides, so this is one query per page, never one per guide. The query
reads the five values a listing shows, not whole pages: making a Wagtail page
object per guide (its ~30 fields, modelcluster's child relations) was a third
of a made catalogue's time.
"""
from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from standards import elements

from .models import ItemGuidePage


def guide_path(page: ItemGuidePage) -> str:
    """The guide's path on the point's host: its url_path without the site root
    (the point's home page is the root of the point's one Wagtail site)."""
    return _path(page.url_path)


def _path(url_path: str) -> str:
    parts = url_path.split("/", 2)
    return "/" + (parts[2] if len(parts) > 2 else "")


def theme_path(theme: str) -> str:
    return f"/themes/{quote(theme)}/"


def department_path(department: str) -> str:
    return f"/departments/{quote(department)}/"


def effective_content(page: ItemGuidePage) -> dict:
    """The standard content with the point's own promised days (which decide 即办)."""
    return _with_local_days(page.standard_version.content, page.promised_days)


def _with_local_days(content: dict, promised_days: int | None) -> dict:
    if promised_days is not None and promised_days != content.get("promised_days"):
        return {**content, "promised_days": promised_days}
    return content


# What a listing shows of a guide, read as values (see the module's docstring).
_LISTED = ("title", "code", "url_path", "promised_days", "standard_version__content")


def entry(title: str, code: str, url_path: str, promised_days: int | None, standard: dict) -> dict:
    content = _with_local_days(standard, promised_days)
    return {
        "name": title,
        "code": code,
        "url": _path(url_path),
        "department": content["department"],
        "department_url": department_path(content["department"]),
        "targets": elements.targets(content),
        "themes": content.get("themes", []),
        "badges": elements.badges(content),
        "kind": elements.kind(content),
        "visits": content.get("visits"),
        "online": content.get("online"),
    }


def _guides(**filters) -> list[dict]:
    rows = ItemGuidePage.objects.live().filter(**filters).order_by("code").values_list(*_LISTED)
    return [entry(*row) for row in rows]


def _theme_groups(guides: list[dict]) -> tuple[list[dict], list[dict]]:
    counts = Counter(theme for g in guides for theme in g["themes"])

    def group(themes):
        return [{"name": t, "count": counts[t], "url": theme_path(t)} for t in themes if counts[t]]

    return group(elements.PERSON_THEMES), group(elements.ENTERPRISE_THEMES)


def _department_groups(guides: list[dict]) -> list[dict]:
    counts = Counter(g["department"] for g in guides)
    return [{"name": d, "count": n, "url": department_path(d)}
            for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _badge_counts(guides: list[dict]) -> list[dict]:
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for g in guides:
        for badge in g["badges"]:
            counts[badge.key] += 1
            labels.setdefault(badge.key, badge.label if badge.key != "visits" else "最多跑一次")
    order = ("visits", "online", "instant")
    return [{"key": k, "label": labels[k], "count": counts[k]} for k in order if counts[k]]


def home_listing() -> dict:
    guides = _guides()
    person, enterprise = _theme_groups(guides)
    return {
        "guide_count": len(guides),
        "person_themes": person,
        "enterprise_themes": enterprise,
        "departments": _department_groups(guides),
        "badge_counts": _badge_counts(guides),
    }


def theme_listing(theme: str) -> dict:
    guides = _guides(standard_version__themes__contains=[theme])
    audience = "个人办事 · 按人生事件" if theme in elements.PERSON_THEMES else "法人办事 · 按企业阶段"
    return {
        "listing_kind": "theme",
        "heading": theme,
        "audience": audience,
        "guides": guides,
        "guide_count": len(guides),
    }


def department_listing(department: str) -> dict:
    guides = _guides(standard_version__department=department)
    return {
        "listing_kind": "department",
        "heading": department,
        "audience": "按部门",
        "guides": guides,
        "guide_count": len(guides),
    }


def all_listing() -> dict:
    """Every guide of the point, grouped by department (largest first)."""
    guides = _guides()
    by_department: dict[str, list[dict]] = {}
    for g in guides:
        by_department.setdefault(g["department"], []).append(g)
    groups = [{"name": d, "url": department_path(d), "guides": by_department[d]}
              for d in sorted(by_department, key=lambda d: (-len(by_department[d]), d))]
    person, enterprise = _theme_groups(guides)
    return {
        "guides": guides,
        "guide_count": len(guides),
        "department_groups": groups,
        "person_themes": person,
        "enterprise_themes": enterprise,
    }
