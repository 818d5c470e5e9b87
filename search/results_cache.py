"""A cache of backend answers, one layer among others (issue 16): what the
backend answered for the same analysed query, scope, filters and page, while
nothing of the county's search documents and nothing of the vocabulary
changed.

The key holds
- the query's analysed terms, not the typed text (身份证 and 身份證 share one),
- the vocabulary's stamp (the catalogue and the synonym tables: an edit of a
  synonym group changes it, analysis.current_vocabulary);
the entry holds
- a counter per county, bumped by the search outbox (search.indexing) whenever
  documents of one of its points are stored: a guide published, moved or
  unpublished, an item adopted or dropped, a version propagated, a reindex.
  It is bumped twice, before the transaction commits and after, so a search
  running in between cannot keep an old answer under the new counter (and,
  when Elasticsearch writes are not waited for, once more 2 s later). The
  counter is the one read before the search ran, and the entry is used only
  while it is still the county's: counter and entry are read in one round
  trip (they were two, before the key could be known).

An answer is stored only the second time this process is asked the same
(a doorkeeper, `_seen_before`): most queries of a morning are asked once
(typos, phrasings), and storing their answers cost each of them a write to
Redis for nothing and filled Redis with entries never read. What a backend
answer does not hold is computed on every search (the nearest points, the
search log). Off when SEARCH_RESULT_CACHE_SECONDS is 0 (the test
settings, except the tests of this cache). When Redis is unreachable, search
answers uncached.
"""
from __future__ import annotations

import hashlib
import logging
import marshal
import threading

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from . import backends
from .backends.base import Answer, Hit

log = logging.getLogger(__name__)
# Plain keys across the cell (the "limits" cache has no per-schema prefix): a counter bumped
# by a Celery task outside any point's schema must be the one a point's search reads.
CACHE = "limits"
REFRESH_SECONDS = 2  # past Elasticsearch's refresh_interval (1 s)
# The doorkeeper's memory: the keys of answers asked once, in two generations of at most this many
# (~100 bytes a key: under 2 × 5 MB a process); a key asked again within them is stored.
DOORKEEPER_KEYS = 50_000


def _cache():
    return caches[CACHE]


def _counter_key(county_code: str) -> str:
    return f"search:county:{county_code}"


def bump(county_code: str) -> None:
    """Documents of this county changed (or are about to, in this transaction)."""
    try:
        cache = _cache()
        if not cache.add(_counter_key(county_code), 1, None):
            cache.incr(_counter_key(county_code))
    except Exception:  # a race with an expiry, or Redis down: searches then go uncached
        log.warning("search: result cache counter of %s not bumped", county_code, exc_info=True)


def bump_around_commit(county_code: str) -> None:
    bump(county_code)
    transaction.on_commit(lambda: bump(county_code))
    if backends.elastic_enabled() and not settings.SEARCH_ES_REFRESH:
        # Elasticsearch shows a write only after its refresh (1 s): once more after that.
        transaction.on_commit(lambda: _later(county_code))


def _later(county_code: str) -> None:
    from .tasks import forget_answers

    try:
        forget_answers.apply_async((county_code,), countdown=REFRESH_SECONDS)
    except Exception:  # the broker down: the entries still expire
        log.warning("search: result cache counter of %s not bumped after the refresh", county_code, exc_info=True)


def run(asks: list, stamp) -> tuple[list, str]:
    """backends.run("search_many", asks), through the cache: one round trip to
    Redis reads the county's counter and the entry together (the entry holds
    the counter it was made under, and counts only if that is still the
    county's), and a miss of an answer asked before adds one more to store it."""
    seconds = settings.SEARCH_RESULT_CACHE_SECONDS
    if not seconds:
        return backends.run("search_many", asks)
    county = asks[0][0].county_code
    counter_key = _counter_key(county)
    try:
        cache = _cache()
        key = "search:answer:" + _key(stamp, county, asks)
        found = cache.get_many([counter_key, key])
    except Exception:
        log.warning("search: result cache unreachable", exc_info=True)
        return backends.run("search_many", asks)
    counter = found.get(counter_key, 0)
    kept = _unpack(found.get(key), counter)
    if kept is not None:
        return kept
    answers, backend = backends.run("search_many", asks)
    if backend == "postgres" and backends.elastic_enabled():
        return answers, backend  # a fall-back answer is not kept: Elasticsearch is back in seconds
    if not _seen_before(key):
        return answers, backend
    try:
        entry = _pack(counter, answers, backend)
    except ValueError:  # a value marshal cannot hold (no backend gives one today): not kept
        log.warning("search: an answer of %s not kept in the result cache", backend, exc_info=True)
        return answers, backend
    try:
        cache.set(key, entry, seconds)
    except Exception:
        log.warning("search: result cache unreachable", exc_info=True)
    return answers, backend


_recent: set[str] = set()
_older: set[str] = set()
_recent_lock = threading.Lock()


def _seen_before(key: str) -> bool:
    """Whether this process was asked for `key` before (within the last one to
    two DOORKEEPER_KEYS keys), remembering it now. Per process, with no round
    trip: a query asked again in another process is stored at its second
    sight there."""
    global _recent, _older
    with _recent_lock:
        if key in _recent or key in _older:
            return True
        if len(_recent) >= DOORKEEPER_KEYS:
            _recent, _older = set(), _recent
        _recent.add(key)
        return False


def forget_seen() -> None:
    """Tests: forget which answers were asked (a fresh process)."""
    with _recent_lock:
        _recent.clear()
        _older.clear()


def _key(stamp, county: str, asks: list) -> str:
    """What makes an answer differ, hashed: the parts as plain values (the
    dataclasses' fields in order), in marshal's version 2, whose bytes are the
    same for the same values in every process (later versions mark values
    referenced twice, which depends on the process); a fraction of pickling
    the dataclasses."""
    parts = [backends.elastic_enabled(), str(stamp), county, marshal.version]  # the entry's format too
    for scope, params, query, *rest in asks:
        # The typed text and the position do not change what a backend answers.
        fields = {**vars(params), "q": "", "lat": None, "lng": None}
        parts.append((tuple(vars(scope).values()), tuple(fields.values()), tuple(sorted(query.terms.items())),
                      *rest))
    return hashlib.sha1(marshal.dumps(parts, 2)).hexdigest()


def _pack(counter: int, answers: list[Answer], backend: str) -> bytes:
    """An entry as marshal's bytes of plain values (the answers' dicts and
    lists as the backend gave them), not a pickle of the Answer and Hit
    objects: measured on a first page of 身份证怎么补办 (7.3 KB), storing
    211 -> 131 µs CPU and reading 250 -> 132 µs, round trip included (issue 16).
    The key carries marshal's format version."""
    return marshal.dumps((counter, backend, [(a.total, [(h.score, h.doc) for h in a.hits], a.facets)
                                             for a in answers]))


def _unpack(entry, counter: int) -> tuple[list[Answer], str] | None:
    """The answers of an entry made under `counter`, else None."""
    if not isinstance(entry, bytes):
        return None
    try:
        made_under, backend, answers = marshal.loads(entry)
    except (ValueError, EOFError, TypeError):  # not an entry of this format: a miss
        return None
    if made_under != counter:
        return None
    return [Answer(total=total, hits=[Hit(score, doc) for score, doc in hits], facets=facets)
            for total, hits, facets in answers], backend
