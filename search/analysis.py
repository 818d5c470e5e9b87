"""Chinese text analysis shared by both search backends.

Both backends store and query the *same* terms, computed here, so that
PostgreSQL and Elasticsearch rank the same documents alike and any
Elasticsearch (even one without analysis plugins) will do.

A term is a string with a kind prefix:

    e:  the whole name or alias (normalised), its pinyin, its initials
    w:  a word (jieba, search mode)
    p:  a word's pinyin without tones (jiehun)
    i:  a word's initials (sfz), for words of three characters or more
    b:  a character bigram (catches partial names jieba cuts differently)

A document gives each of its terms a weight class (`CLASSES`); a query gives
each of its terms a small integer weight. The score of a document is the sum,
over the query's terms it holds, of query weight × document weight: integers,
so both backends compute it exactly and break ties by item code.

Two things citizens type that the catalogue never holds are mended in the
query alone: traditional characters (OpenCC's phrase tables convert the query
to simplified first), and a wrong character of the same sound picked from the
input method's list (身分证, 公基金): where part of a Chinese query is no word
of the catalogue, the query's pinyin is split into the catalogue's pinyin
words, as typed pinyin is.
"""
from __future__ import annotations

import functools
import html
import itertools
import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, connections
from rapidfuzz import process
from rapidfuzz.distance import OSA

if TYPE_CHECKING:
    import jieba

_generations = itertools.count(1)

# Document weight classes (Elasticsearch keeps one keyword field per class).
NAME_EXACT, ALIAS_EXACT, NAME_WORD, ALIAS_WORD, NAME_BIGRAM, MINOR = 40, 20, 10, 5, 2, 1
CLASSES = (NAME_EXACT, ALIAS_EXACT, NAME_WORD, ALIAS_WORD, NAME_BIGRAM, MINOR)
# Below this a document matched only by stray words (a department, one bigram of an alias).
MIN_SCORE = 3
MAX_QUERY_CHARS = 100  # longer queries are cut, never refused
WORDS_KEPT = 50_000  # runs whose words a vocabulary remembers; forgotten all at once when full

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_RUNS = re.compile(rf"[{_HAN}]+|[a-z]+|[0-9]+")
_HAN_RUN = re.compile(rf"^[{_HAN}]+$")


# jieba, pypinyin and OpenCC are imported at their first use, not with this module: the
# search signals import it into every process, and pypinyin's and jieba's tables took
# ~0.5 s of each manage.py command's start, most of which never analyses a word (issue 16).


@functools.cache
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s.json")  # thread-safe: convert() keeps no state between calls


@functools.cache
def _pypinyin():
    from pypinyin import Style, lazy_pinyin
    from pypinyin.seg.simpleseg import seg

    return Style, lazy_pinyin, seg


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it logs its dictionary loading at INFO/DEBUG
    return jieba


def simplified(text: str) -> str:
    """Traditional characters to simplified, phrase by phrase (OpenCC's t2s);
    simplified text comes back unchanged."""
    return _to_simplified().convert(text)


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, anything but Han, Latin and digits
    becomes a space. Lone surrogates and control characters simply vanish."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    kept = "".join(ch if (ch.isalnum() and (ch.isascii() or _is_han(ch))) else " " for ch in text)
    return " ".join(kept.split())


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff"


def is_han(text: str) -> bool:
    return bool(_HAN_RUN.match(text))


@functools.lru_cache(maxsize=50_000)
def pinyin(word: str) -> str:
    """Toneless pinyin of `word`. pypinyin cuts a text into the words of its
    phrase table (forward maximum matching) and reads each word alone, so the
    text reads as its words read one by one: those are remembered, and a new
    query of known words (身份证怎么补办) costs a cut and a few lookups, not a
    reading of every character (issue 16: 24 instead of 138 µs per run of the
    cold stream, the same pinyin for all of its 12,324 runs)."""
    return "".join(_reading(piece) for piece in _pypinyin()[2](word))


@functools.lru_cache(maxsize=50_000)
def _reading(piece: str) -> str:
    # pypinyin's own cut of a piece is the piece itself, so this is its reading within the text.
    style, lazy_pinyin, _ = _pypinyin()
    return "".join(lazy_pinyin(piece, style=style.NORMAL, v_to_u=False, errors="ignore"))


@functools.lru_cache(maxsize=50_000)
def initials(word: str) -> str:
    style, lazy_pinyin, _ = _pypinyin()
    return "".join(lazy_pinyin(word, style=style.FIRST_LETTER, errors="ignore"))


def bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


@dataclass
class Vocabulary:
    """What analysis knows of the catalogue: a jieba tokenizer with the
    catalogue's names, aliases, results and synonym words in its dictionary,
    the sub-words of each of those phrases, the synonym tables of every
    authority (standards/authority.py), and every pinyin term documents can
    hold (for splitting and correcting typed pinyin).

    The dictionary knows every table's words, so a document's terms are the
    same in every county of the cell (term sets are shared); which words a
    query is *expanded* with depends on where it is asked (`synonyms_for`)."""

    tokenizer: jieba.Tokenizer
    generation: int = field(default_factory=lambda: next(_generations))  # tells vocabularies apart in caches
    parts: dict[str, list[str]] = field(default_factory=dict)
    cuts: dict[str, list[str]] = field(default_factory=dict)  # a phrase's words, before it became one
    # authority → word → the other words of its groups in that authority's table
    synonym_tables: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    _expansions: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = field(default_factory=dict, repr=False)
    pinyin_words: set[str] = field(default_factory=set)
    # Every word the catalogue and the synonym tables hold (phrases and their parts):
    # a query word outside it may be a homophone typed by mistake.
    catalogue_words: set[str] = field(default_factory=set)
    pinyin_terms: list[str] = field(default_factory=list)  # "p:…" and "e:…" pinyin, for fuzzy matching
    longest_pinyin: int = 0
    # Every prefix of a pinyin word: splitting stops trying longer pieces once one is none.
    pinyin_prefixes: set[str] = field(default_factory=set)
    # (length, edits) → the pinyin terms that long within that many letters, and their indexes.
    _near: dict[tuple[int, int], tuple[list[str], list[int]]] = field(default_factory=dict, repr=False)
    stamp: object = None  # what it was built from (search.catalogue.catalogue_stamp): alike in every process
    # (text, authorities) → AnalysedQuery: a query asked again costs a dict lookup; gone with the vocabulary.
    analyses: dict = field(default_factory=dict, repr=False)
    # run → its words: every result's name is cut again to highlight it (jieba was a tenth of a
    # search's time); the names are the catalogue's, so a process cuts each once.
    _words: dict[str, tuple[tuple[str, int, int], ...]] = field(default_factory=dict, repr=False)
    _marks: dict[str, tuple] = field(default_factory=dict, repr=False)  # name → _marks(name)

    def synonyms_for(self, authorities) -> dict[str, tuple[str, ...]]:
        """word → its synonyms in these authorities' tables, merged once per set
        of authorities and kept with this vocabulary (rebuilt when any table changes)."""
        key = tuple(sorted(set(authorities)))
        found = self._expansions.get(key)
        if found is None:
            found = {}
            for owner in key:
                for word, others in self.synonym_tables.get(owner, {}).items():
                    found[word] = tuple(sorted(set(found.get(word, ())) | set(others)))
            self._expansions[key] = found
        return found

    def marks(self, name: str):
        """highlight's terms of a result's name (_marks): the names are the
        catalogue's, so a process works out each once (highlighting a page of
        results was a tenth of a cold search's time)."""
        known = self._marks.get(name)
        if known is None:
            if len(self._marks) >= WORDS_KEPT:
                self._marks.clear()
            known = self._marks[name] = _marks(self, name)
        return known

    def words(self, han: str) -> tuple[tuple[str, int, int], ...]:
        """(word, start, end) of every word of two characters or more: jieba's
        search mode, plus the sub-words of catalogue phrases it keeps whole."""
        known = self._words.get(han)
        if known is None:
            if len(self._words) >= WORDS_KEPT:
                self._words.clear()
            known = self._words[han] = tuple(self._cut(han))
        return known

    def _cut(self, han: str) -> list[tuple[str, int, int]]:
        found = []
        for word, start, end in self.tokenizer.tokenize(han, mode="search", HMM=False):
            if len(word) >= 2:
                found.append((word, start, end))
            found.extend(self._parts(word, start))
        return found

    def _parts(self, phrase: str, offset: int, depth: int = 0) -> list[tuple[str, int, int]]:
        out = []
        for part in self.parts.get(phrase, ()):
            at = phrase.find(part)
            if at >= 0 and part != phrase:
                out.append((part, offset + at, offset + at + len(part)))
                if depth < 3:
                    out.extend(self._parts(part, offset + at, depth + 1))
        return out


def build_vocabulary(records: list[dict], synonym_groups: list[tuple[str, tuple[str, ...]]]) -> Vocabulary:
    """records: the catalogue's current versions (name, aliases, result);
    synonym_groups: (authority, words) of every table."""
    tokenizer = _jieba().Tokenizer()
    tokenizer.initialize()
    vocab = Vocabulary(tokenizer=tokenizer)
    phrases: set[str] = set()
    for record in records:
        for text in [record.get("name", ""), record.get("result", ""), *record.get("aliases", [])]:
            phrases.update(run for run in normalize(text).split() if is_han(run) and len(run) >= 2)
    for owner, group in synonym_groups:
        words = tuple(w for w in (normalize(w).replace(" ", "") for w in group) if len(w) >= 2)
        phrases.update(w for w in words if is_han(w))
        table = vocab.synonym_tables.setdefault(owner, {})
        for word in words:
            table[word] = tuple(sorted(set(table.get(word, ())) | (set(words) - {word})))
    # Sub-words first, with the stock dictionary, then the phrases become words.
    # A phrase's parts also include every synonym word inside it (食品经营 in
    # 食品经营许可证核发), which jieba's search mode would not cut out.
    synonym_words = list(dict.fromkeys(w for table in vocab.synonym_tables.values() for w in table if is_han(w)))
    for phrase in sorted(phrases, key=len):
        vocab.cuts[phrase] = tokenizer.lcut(phrase, HMM=False)
        parts = [w for w in tokenizer.cut_for_search(phrase, HMM=False) if len(w) >= 2 and w != phrase]
        parts += [w for w in synonym_words if w in phrase and w != phrase and w not in parts]
        vocab.parts[phrase] = parts
    for phrase in phrases:
        tokenizer.add_word(phrase, freq=max(1000, tokenizer.suggest_freq(phrase)))
    vocab.catalogue_words = phrases | {part for parts in vocab.parts.values() for part in parts}
    pinyin_terms = set()
    for record in records:
        for term in document_terms(vocab, record["name"], record.get("aliases", []), record.get("result", "")):
            if term[:2] == "p:":
                vocab.pinyin_words.add(term[2:])
                pinyin_terms.add(term)
            elif term[:2] == "e:" and term[2:].isascii():
                pinyin_terms.add(term)
    vocab.pinyin_terms = sorted(pinyin_terms)
    vocab.longest_pinyin = max((len(w) for w in vocab.pinyin_words), default=0)
    vocab.pinyin_prefixes = {w[:k] for w in vocab.pinyin_words for k in range(2, len(w) + 1)}
    return vocab


def document_terms(vocab: Vocabulary, name: str, aliases=(), result: str = "", department: str = "",
                   themes=()) -> dict[str, int]:
    """term → weight class of one document."""
    weights: dict[str, int] = {}

    def put(term: str, weight: int) -> None:
        if len(term) > 2 and weight > weights.get(term, 0):
            weights[term] = weight

    def phrase(text: str, exact: int, word: int, bigram: int) -> None:
        norm = normalize(text)
        compact = norm.replace(" ", "")
        if not compact:
            return
        put("e:" + compact, exact)
        han = "".join(run for run in norm.split() if is_han(run))
        if len(han) >= 2:
            put("e:" + pinyin(compact), exact)
            put("e:" + initials(compact), exact)
        for run in norm.split():
            if not is_han(run):
                continue
            for w, _, _ in vocab.words(run):
                put("w:" + w, word)
                put("p:" + pinyin(w), word)
                if len(w) >= 3:
                    put("i:" + initials(w), word)
            for bg in bigrams(run):
                put("b:" + bg, bigram)
            # Initials of every run of consecutive words (异地就医备案 → ydjy, ydjyba, jyba …):
            # people abbreviate the words they think of, not jieba's.
            cut = vocab.cuts.get(run) or vocab.tokenizer.lcut(run, HMM=False)
            for i in range(len(cut)):
                for j in range(i + 2, len(cut) + 1):
                    joined = "".join(cut[i:j])
                    if 3 <= len(joined) < len(run):
                        put("i:" + initials(joined), word)

    phrase(name, NAME_EXACT, NAME_WORD, NAME_BIGRAM)
    for alias in aliases:
        phrase(alias, ALIAS_EXACT, ALIAS_WORD, MINOR)
    if result:
        phrase(result, NAME_WORD, ALIAS_WORD, MINOR)
    for text in [department, *themes]:
        for run in normalize(text).split():
            if is_han(run):
                put("w:" + run, MINOR)
    return weights


@dataclass
class AnalysedQuery:
    text: str  # as searched (normalised, cut to MAX_QUERY_CHARS)
    terms: dict[str, int]  # term → query weight

    @property
    def empty(self) -> bool:
        return not self.terms


ANALYSES_KEPT = 20_000  # per process and vocabulary; forgotten all at once when full


def analyse_query(vocab: Vocabulary, raw: str, authorities=("",)) -> AnalysedQuery:
    """The query's terms, expanded with the synonyms of `authorities` only
    (at a point: its county's table and the shared ones; by default the shared).
    Remembered with the vocabulary (callers never change an AnalysedQuery)."""
    key = (raw, tuple(authorities))
    found = vocab.analyses.get(key)
    if found is None:
        if len(vocab.analyses) >= ANALYSES_KEPT:
            vocab.analyses.clear()
        found = vocab.analyses[key] = _analyse_query(vocab, raw, authorities)
    return found


def _analyse_query(vocab: Vocabulary, raw: str, authorities) -> AnalysedQuery:
    synonyms = vocab.synonyms_for(authorities)
    norm = normalize(simplified(str(raw)[:MAX_QUERY_CHARS * 2]))[:MAX_QUERY_CHARS].strip()
    terms: dict[str, int] = {}

    def put(term: str, weight: int) -> None:
        if len(term) > 2 and weight > terms.get(term, 0):
            terms[term] = weight

    compact = norm.replace(" ", "")
    runs = _RUNS.findall(norm)
    latin = [r for r in runs if r.isascii() and r.isalpha()]
    if compact:
        put("e:" + compact, 1)
    for run in runs:
        if not is_han(run):
            continue
        known = [False] * len(run)
        for word, start, end in vocab.words(run):
            put("w:" + word, 2)
            for synonym in synonyms.get(word, ()):
                put("w:" + synonym, 1)
                put("e:" + synonym, 1)
            if word in vocab.catalogue_words or word in synonyms:
                known[start:end] = [True] * (end - start)
        for bg in bigrams(run):
            put("b:" + bg, 1)
        if len(run) >= 2 and not all(known):
            for term in homophone_terms(vocab, run):
                put(term, 2)
    # The whole query is a word of a synonym group (饭店卫生许可证, 房本): the
    # names it stands for weigh as much as the words typed.
    for synonym in synonyms.get(compact, ()):
        put("e:" + synonym, 2)
    if latin:
        # Pinyin: the whole query read as pinyin (Chinese characters converted,
        # Latin kept), split into the pinyin words documents hold. Only when
        # pinyin was typed: for Chinese alone, homophones would only add noise.
        spelled = "".join(pinyin(r) if is_han(r) else r for r in runs if not r.isdigit())
        if spelled != compact:
            put("e:" + spelled, 1)
        segments, covered = split_pinyin(vocab, spelled)
        for segment in segments:
            put("p:" + segment, 2)
        if not covered and len(spelled) >= 4:
            for term in correct_pinyin(vocab, spelled):
                put(term, 1)
    # Latin runs may be initials (sfz, yyzz), alone or all together, or a word
    # of a synonym group (ktv).
    for run in {*latin, "".join(latin)} - {""}:
        put("i:" + run, 2)
        put("e:" + run, 1)
        for synonym in synonyms.get(run, ()):
            put("w:" + synonym, 2)
            put("e:" + synonym, 1)
    return AnalysedQuery(text=norm, terms=terms)


def homophone_terms(vocab: Vocabulary, run: str) -> list[str]:
    """The catalogue's pinyin words a Chinese run sounds like (身分证 → p:shenfenzheng),
    when its whole pinyin splits into them; nothing when it does not (a word the
    catalogue lacks is not a typo of one)."""
    spelled = pinyin(run)
    if not _splits_whole(vocab, spelled):  # most runs of a cold query do not: no fewest split to look for
        return []
    segments, covered = split_pinyin(vocab, spelled)
    return ["e:" + spelled, *("p:" + segment for segment in segments)] if covered else []


def _splits_whole(vocab: Vocabulary, text: str) -> bool:
    """Whether known pinyin words cover every letter of `text`: split_pinyin's
    `covered`, without finding the fewest words."""
    n, words, prefixes = len(text), vocab.pinyin_words, vocab.pinyin_prefixes
    if not n or not words:
        return False
    reached = [False] * (n + 1)
    reached[0] = True
    for i in range(n):
        if not reached[i]:
            continue
        for j in range(i + 2, min(n, i + vocab.longest_pinyin) + 1):
            piece = text[i:j]
            if piece not in prefixes:
                break
            if piece in words:
                reached[j] = True
    return reached[n]


def split_pinyin(vocab: Vocabulary, text: str) -> tuple[list[str], bool]:
    """Split a run of pinyin into the fewest known pinyin words, skipping as few
    letters as possible; returns (words, whether every letter was covered)."""
    n = len(text)
    if not n or not vocab.pinyin_words:
        return [], False
    longest = vocab.longest_pinyin
    prefixes = vocab.pinyin_prefixes
    # best[i] = (skipped letters, words) for text[:i]
    best: list[tuple[int, int, list[str]] | None] = [None] * (n + 1)
    best[0] = (0, 0, [])
    for i in range(n):
        here = best[i]
        if here is None:
            continue
        skipped, count, words = here
        skip = (skipped + 1, count, words)
        after = best[i + 1]
        if after is None or skip[:2] < after[:2]:
            best[i + 1] = skip
        for j in range(i + 2, min(n, i + longest) + 1):
            piece = text[i:j]
            if piece not in prefixes:
                break  # no known word goes on like this
            if piece in vocab.pinyin_words:
                option = (skipped, count + 1, words + [piece])
                there = best[j]
                if there is None or option[:2] < there[:2]:
                    best[j] = option
    whole = best[n]
    # Skipping a letter always reaches i + 1, so every prefix has a best split.
    assert whole is not None, "split_pinyin: no split of the whole text"
    skipped, _, words = whole
    return words, skipped == 0


def correct_pinyin(vocab: Vocabulary, text: str) -> list[str]:
    """Known pinyin terms within one or two edits (a swap counts once) of a
    mistyped pinyin query: the closest three."""
    limit = 1 if len(text) <= 6 else 2
    strings, indexes = _near_pinyin(vocab, len(text), limit)
    found = process.extract(text, strings, scorer=OSA.distance, score_cutoff=limit, limit=3)
    return [vocab.pinyin_terms[indexes[at]] for _, _, at in found]


def _near_pinyin(vocab: Vocabulary, length: int, limit: int) -> tuple[list[str], list[int]]:
    """Only terms whose length is within `limit` of the query's can be within
    `limit` edits: those, in the vocabulary's order (so ties go as over the
    whole list), worked out once per length and vocabulary. A typed pinyin
    query is compared with a tenth of the terms instead of all."""
    key = (length, limit)
    found = vocab._near.get(key)
    if found is None:
        indexes = [i for i, term in enumerate(vocab.pinyin_terms) if abs(len(term) - 2 - length) <= limit]
        found = vocab._near[key] = ([vocab.pinyin_terms[i][2:] for i in indexes], indexes)
    return found


def highlight(vocab: Vocabulary, name: str, query: AnalysedQuery) -> str:
    """The name as HTML with the parts the query matched in <mark>."""
    terms = query.terms.keys()
    whole, where = vocab.marks(name)
    if not terms.isdisjoint(whole):
        return f"<mark>{html.escape(name)}</mark>" if name else ""
    marked = bytearray(len(name))
    for term in terms & where.keys():
        for start, end in where[term]:
            marked[start:end] = b"\x01" * (end - start)
    # html.escape replaces character by character, so escaping each stretch is escaping each character.
    out, at, n = [], 0, len(name)
    while at < n:
        begin = marked.find(1, at)
        if begin < 0:
            out.append(html.escape(name[at:]))
            break
        stop = marked.find(0, begin)
        stop = n if stop < 0 else stop
        out += [html.escape(name[at:begin]), "<mark>", html.escape(name[begin:stop]), "</mark>"]
        at = stop
    return "".join(out)


def _marks(vocab: Vocabulary, name: str) -> tuple[tuple[str, ...], dict[str, list[tuple[int, int]]]]:
    """What highlight looks for in a query's terms: the terms that mark the
    whole name, and for each term of a word or bigram of its Chinese runs
    where those are in the name."""
    norm_name = normalize(name).replace(" ", "")
    whole = ("e:" + norm_name, "e:" + pinyin(norm_name), "e:" + initials(norm_name))
    where: dict[str, list[tuple[int, int]]] = {}
    for match in re.finditer(rf"[{_HAN}]+", name):
        run, offset = match.group(), match.start()
        for word, start, end in vocab.words(run):
            for term in ("w:" + word, "p:" + pinyin(word), *(("i:" + initials(word),) if len(word) >= 3 else ())):
                where.setdefault(term, []).append((offset + start, offset + end))
        for i, bg in enumerate(bigrams(run)):
            where.setdefault("b:" + bg, []).append((offset + i, offset + i + 2))
    return whole, where


# --- The process's vocabulary, rebuilt when the catalogue or synonyms change ---

log = logging.getLogger(__name__)
_lock = threading.Lock()  # held while one thread checks the stamp or builds
_cached: dict = {"stamp": None, "vocab": None, "checked": 0.0, "changed_here": False}
CHECK_SECONDS = 5.0  # how often a process asks whether the catalogue changed


def current_vocabulary(*, wait: bool = True) -> Vocabulary:
    """The vocabulary of the current catalogue and synonyms, built once per
    process and again when either changes (a build: 3-5 s of CPU, 8-26 s on
    a loaded server).

    wait=True (indexing, the default): the vocabulary of the catalogue as it
    is now, built here if need be; a document's terms must come from the
    vocabulary it is stamped with. wait=False (a citizen's search): the
    process's vocabulary at once, even while a new one is built. A search that
    notices a change starts the build in a thread of its own and answers with
    the vocabulary before, as do the searches that come while it runs; before
    this, all of a worker's searches queued behind the build, on the morning a
    version was published. Inside a transaction, and after a change made in
    this process (invalidate), the build stays in the caller's thread: that
    change is the one to see. The first build of a process always waits;
    gunicorn's workers make it before taking requests (yimen.gunicorn_hooks)."""
    vocab = _cached["vocab"]
    if vocab is not None and not _cached["changed_here"] and time.monotonic() - _cached["checked"] < CHECK_SECONDS:
        return vocab
    if wait or vocab is None or _cached["changed_here"]:
        with _lock:
            return _refresh()
    if not _lock.acquire(blocking=False):
        return vocab  # another thread is checking or building
    handed_on = False
    try:
        from .catalogue import catalogue_stamp

        if catalogue_stamp() == _cached["stamp"]:
            _cached["checked"] = time.monotonic()
            return vocab
        if connection.in_atomic_block:
            return _refresh()
        threading.Thread(target=_refresh_in_background, name="search-vocabulary", daemon=True).start()
        handed_on = True  # the thread releases the lock
        return vocab
    finally:
        if not handed_on:
            _lock.release()


def _refresh() -> Vocabulary:
    """With _lock held: the vocabulary of the stamp now in the database."""
    from .catalogue import catalogue_stamp, vocabulary_sources

    _cached["changed_here"] = False  # what follows reads every change made so far
    stamp = catalogue_stamp()
    if _cached["vocab"] is None or stamp != _cached["stamp"]:
        records, groups = vocabulary_sources()
        vocab = build_vocabulary(records, groups)
        vocab.stamp = stamp
        _cached.update(vocab=vocab, stamp=stamp)
    _cached["checked"] = time.monotonic()
    return _cached["vocab"]


def _refresh_in_background() -> None:
    """A search's thread handed this one _lock: build, then let go of the lock and of the
    database connection this thread opened."""
    try:
        _refresh()
    except Exception:  # the database unreachable: searches keep the vocabulary they have
        log.warning("search vocabulary not rebuilt; tried again in %s s", CHECK_SECONDS, exc_info=True)
        _cached["checked"] = time.monotonic()
    finally:
        connections.close_all()
        _lock.release()


def invalidate() -> None:
    """After a synonym edit or a standard item saved in this process (on
    commit): the next search rebuilds at once, and waits for it (the editor's
    own next search shows the change)."""
    _cached["changed_here"] = True
