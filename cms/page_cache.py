"""The page cache of citizen pages: stored answers and the generations that
invalidate them (the HTTP side is cms.page_cache_middleware).

Where: the stack's Redis, through the "default" cache's own client. The keys
are written out here rather than through the cache's key function (which
prefixes the *active* schema): an event at one point must invalidate the
pages of others (a grant: the park and the county; a point's address: every
"where else" list of its network), so the schema is part of each key by name.

What: one entry per variant of a page — host, scheme, path with query,
large-text mode, language — holding the answer and the two generations it
was rendered under:

- the point's generation (`yimen:pages:gen:p:<schema>`), bumped when one of
  the point's own pages changes: a guide published, unpublished or deleted, a
  standard version propagated to it, an item adopted or dropped, its home or
  catalogue page published, its details saved;
- its county network's generation (`yimen:pages:gen:n:<county code>`), bumped
  when something changes that pages of *other* points of the network show:
  which points offer an item and their names, addresses, phones, hours and
  positions ("where else", 就近办), and grants to parks (every guide of a
  granted item in the network names the park). Those fragments are cached
  with the page, and the network generation keeps them exact.

An entry is served only while both generations are still the ones it was
rendered under; nothing is ever deleted by pattern. A generation is read
before the page is rendered, and every bump runs both at once and again after
the changing transaction commits, so a page rendered from data read before
the commit can never be stored under the generation that follows it.
"""
from __future__ import annotations

import hashlib
import pickle
import time
from typing import cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

PREFIX = "yimen:pages:"
# How long an entry lives without being read again (it is exact anyway: the
# generations invalidate it; the time bounds what unused variants cost Redis).
TTL = getattr(settings, "YIMEN_PAGE_CACHE_TTL", 3600)
# What browsers and proxies may keep without asking again (then they revalidate with If-None-Match).
MAX_AGE = getattr(settings, "YIMEN_PAGE_CACHE_MAX_AGE", 10)


def _redis(write: bool = False):
    # The "default" cache's own Redis client (Django's RedisCache): one pool per process.
    return cast(RedisCache, caches["default"])._cache.get_client(None, write=write)


def point_key(schema: str) -> str:
    return f"{PREFIX}gen:p:{schema}"


def network_key(county_code: str) -> str:
    return f"{PREFIX}gen:n:{county_code}"


def entry_key(schema: str, variant: str) -> str:
    return f"{PREFIX}page:{schema}:{variant}"


def variant(host: str, scheme: str, full_path: str, large: bool, language: str) -> str:
    """Everything that makes one page's answer differ, as a short digest."""
    raw = "\n".join((host, scheme, full_path, "large" if large else "normal", language))
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


# --- generations -----------------------------------------------------------------


def generations(schema: str, county_code: str) -> tuple[bytes, bytes]:
    """The point's and its network's generations now, made on first use.

    A generation that is missing (first use, or Redis lost it) starts at the
    clock's nanoseconds, never at 1: an entry stored before the loss can then
    never match again by accident."""
    keys = [point_key(schema), network_key(county_code)]
    found = _redis().mget(keys)
    if None in found:
        seed = str(time.time_ns())
        with _redis(write=True).pipeline() as pipe:
            for key in keys:
                pipe.set(key, seed, nx=True)
            pipe.mget(keys)
            found = pipe.execute()[-1]
    return found[0], found[1]


def _bump_now(keys: list[str]) -> None:
    seed = str(time.time_ns())
    with _redis(write=True).pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.set(key, seed, nx=True)
            pipe.incr(key)
        pipe.execute()


def _bump(keys: list[str]) -> None:
    _bump_now(keys)
    # Again once the change is visible to other connections: a request that read
    # the new generation before the commit rendered the old data under it.
    transaction.on_commit(lambda: _bump_now(keys))


def point_changed(point) -> None:
    """One of this point's own pages changed (see the module's docstring)."""
    if point is not None and point.schema_name:
        _bump([point_key(point.schema_name)])


def network_changed(point) -> None:
    """Something every point of `point`'s county network may show changed:
    this point's pages and the others' "where else" and grant notes."""
    if point is not None and point.schema_name:
        _bump([point_key(point.schema_name), network_key(point.county_code)])


# --- entries ------------------------------------------------------------------------


def lookup(schema: str, county_code: str, variant_key: str) -> dict | None:
    """The stored answer, if it was rendered under today's generations (one round trip)."""
    raw, point_gen, network_gen = _redis().mget([entry_key(schema, variant_key), point_key(schema),
                                                 network_key(county_code)])
    if raw is None or point_gen is None or network_gen is None:
        return None
    entry = pickle.loads(raw)
    if entry["gens"] != (point_gen, network_gen):
        return None
    return entry


def etag(gens: tuple[bytes, bytes], body: bytes) -> str:
    digest = hashlib.blake2b(body, digest_size=8).hexdigest()
    return f'"{gens[0].decode()}.{gens[1].decode()}.{digest}"'


def store(schema: str, variant_key: str, gens: tuple[bytes, bytes], headers: list[tuple[str, str]],
          body: bytes) -> None:
    entry = {"gens": gens, "headers": headers, "body": body}
    _redis(write=True).set(entry_key(schema, variant_key), pickle.dumps(entry, protocol=5), ex=TTL)
