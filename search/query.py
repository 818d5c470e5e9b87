"""The parameters of a search, checked: every problem a citizen's browser or an
outside caller can cause becomes a `ParamError` with a message in Chinese."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from standards import elements

SCOPES = ("point", "network")
MAX_PAGE = 100
MAX_SIZE = 50
MAX_RANK = MAX_PAGE * MAX_SIZE  # the last result of the last page
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")  # a point's slug (SlugField)
DEFAULT_SIZE = 10


class ParamError(ValueError):
    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass
class SearchParams:
    q: str
    scope: str = "point"
    lat: float | None = None
    lng: float | None = None
    theme: str | None = None
    department: str | None = None
    target: str | None = None
    visits: int | None = None  # 0: no visit; 1: at most one
    online: str | None = None
    page: int = 1
    size: int = DEFAULT_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def filters(self) -> dict:
        names = ("theme", "department", "target", "visits", "online")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


def _text(data, name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    value = "".join(ch for ch in str(value) if ch.isprintable()).strip()
    if len(value) > limit:
        raise ParamError(name, f"参数 {name} 过长（最多 {limit} 个字）。")
    return value or None


def _integer(data, name: str, default: int, low: int, high: int) -> int:
    value = data.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ParamError(name, f"参数 {name} 应为整数。") from None
    if not low <= number <= high:
        raise ParamError(name, f"参数 {name} 应在 {low} 到 {high} 之间。")
    return number


def _coordinate(data, name: str, limit: float) -> float | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ParamError(name, f"参数 {name} 应为数字（度）。") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise ParamError(name, f"参数 {name} 应在 -{limit:g} 到 {limit:g} 度之间。")
    return number


# Parameters openapi.json gives a type or a list of values, which an empty value is neither.
TYPED = ("scope", "lat", "lng", "theme", "target", "visits", "online", "page", "size")


def parse(data, *, require_query: bool = True, empty_is_absent: bool = True) -> SearchParams:
    """From a QueryDict (or any mapping). Over-long queries are cut, never refused.
    empty_is_absent=False (the JSON API, held to openapi.json): `online=` and the
    like are refused; the results page's form sends them for "any"."""
    if not empty_is_absent:
        for name in TYPED:
            if name in data and not str(data.get(name)).strip():
                raise ParamError(name, f"参数 {name} 不能为空：不限时请不要传这个参数。")
    raw_q = data.get("q")
    q = "".join(ch for ch in str(raw_q or "") if ch.isprintable()).strip()[:200]
    if require_query and not q:
        raise ParamError("q", "请输入要搜索的内容（参数 q）。")
    scope = (data.get("scope") or "point").strip()
    if scope not in SCOPES:
        raise ParamError("scope", "参数 scope 只能是 point（本服务点）或 network（全县网络）。")
    lat, lng = _coordinate(data, "lat", 90), _coordinate(data, "lng", 180)
    if (lat is None) != (lng is None):
        raise ParamError("lat" if lat is None else "lng", "参数 lat 和 lng 要同时给出。")
    theme = _text(data, "theme", 20)
    if theme is not None and theme not in elements.THEMES:
        raise ParamError("theme", f"没有“{theme}”这个主题。")
    target = _text(data, "target", 10)
    if target is not None and target not in elements.TARGETS:
        raise ParamError("target", "参数 target 只能是“个人”或“法人”。")
    visits = _text(data, "visits", 2)
    if visits is not None and visits not in ("0", "1"):
        raise ParamError("visits", "参数 visits 只能是 0（不用跑）或 1（最多跑一次）。")
    online = _text(data, "online", 10)
    if online is not None and online not in elements.ONLINE_LEVELS:
        raise ParamError("online", f"参数 online 只能是：{'、'.join(elements.ONLINE_LEVELS)}。")
    return SearchParams(
        q=q, scope=scope, lat=lat, lng=lng, theme=theme, department=_text(data, "department", 50),
        target=target, visits=None if visits is None else int(visits), online=online,
        page=_integer(data, "page", 1, 1, MAX_PAGE), size=_integer(data, "size", DEFAULT_SIZE, 1, MAX_SIZE),
    )


@dataclass
class ClickParams:
    q: str
    rank: int  # 1-based; 0 when the link did not say
    at: str | None  # slug of the point whose guide to open


def parse_click(data) -> ClickParams:
    """A result link's parameters (/search/go/<code>/?q=&rank=&at=). Links the
    results page makes are always valid; anything else is refused, not guessed."""
    return ClickParams(
        q="".join(ch for ch in str(data.get("q") or "") if ch.isprintable()).strip()[:100],
        rank=_integer(data, "rank", 0, 1, MAX_RANK),
        at=_slug(data, "at"),
    )


def _slug(data, name: str) -> str | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if not SLUG.fullmatch(value):
        raise ParamError(name, f"参数 {name} 应为服务点标识（最多 50 个字母、数字或连字符）。")
    return value
