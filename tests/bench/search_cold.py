"""The cold query mix of bench_search: a stream of generated query variants in
which no query repeats, so no cache of analyses or results can answer it.

Variants are made from how citizens type, out of the demo catalogue's names
and aliases and the relevance set's queries: the words themselves, part of
them, everyday phrasings around them (怎么办、需要什么材料 …), traditional
characters, a wrong character of the same sound, full pinyin (with or without
spaces), initials, and pinyin with one letter swapped, dropped or replaced.
Deterministic (a fixed seed), so two runs send the same stream.
"""
from __future__ import annotations

import random

AROUND = ("{}", "怎么办{}", "{}怎么办理", "{}需要什么材料", "{}在哪里办", "我想办{}", "办理{}要多久", "{}流程",
          "{}要带什么", "请问{}", "{}去哪办", "{}网上能办吗", "{}要跑几次", "帮家里人办{}", "{}办理条件",
          "{}的手续", "{}多少钱", "怎样申请{}")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _is_han(text: str) -> bool:
    return bool(text) and all("\u4e00" <= ch <= "\u9fff" for ch in text)


def _typos(spelled: str, rng: random.Random) -> list[str]:
    out = []
    for i in range(1, len(spelled) - 1):
        out.append(spelled[:i] + spelled[i + 1] + spelled[i] + spelled[i + 2:])  # swap
        out.append(spelled[:i] + spelled[i + 1:])  # drop
        out.append(spelled[:i] + rng.choice(LETTERS) + spelled[i + 1:])  # replace
    return out


def cold_queries(limit: int = 200_000) -> list[str]:
    """Unique queries, shuffled; at most `limit`."""
    import opencc
    from pypinyin import Style, lazy_pinyin

    from standards.demo import catalogue_records
    from tests.search_relevance import RELEVANCE

    rng = random.Random(16)
    to_traditional = opencc.OpenCC("s2t.json")
    phrases: list[str] = []
    for record in catalogue_records():
        phrases += [record["name"], *record.get("aliases", [])]
    phrases += [q for q, _kind, _codes in RELEVANCE]
    phrases = [p for p in dict.fromkeys(phrases) if p]
    # Characters of the catalogue by sound, for input-method slips (身分证).
    by_sound: dict[str, list[str]] = {}
    for phrase in phrases:
        for ch in phrase:
            if _is_han(ch):
                by_sound.setdefault(lazy_pinyin(ch)[0], [])
                if ch not in by_sound[lazy_pinyin(ch)[0]]:
                    by_sound[lazy_pinyin(ch)[0]].append(ch)
    seen: set[str] = set()
    out: list[str] = []

    def add(query: str) -> None:
        query = query.strip()[:60]
        if query and query not in seen:
            seen.add(query)
            out.append(query)

    for phrase in phrases:
        han = _is_han(phrase)
        forms = [phrase]
        if han and len(phrase) >= 4:
            forms += [phrase[:-1], phrase[1:], phrase[:-2]]
        if han:
            forms.append(to_traditional.convert(phrase))
            for i, ch in enumerate(phrase):
                others = [c for c in by_sound.get(lazy_pinyin(ch)[0], []) if c != ch]
                if others:
                    forms.append(phrase[:i] + rng.choice(others) + phrase[i + 1:])
        for form in forms:
            for around in AROUND:
                add(around.format(form))
        if han:
            syllables = lazy_pinyin(phrase)
            spelled = "".join(syllables)
            add(spelled)
            add(" ".join(syllables))
            add("".join(s[0] for s in syllables))
            add(phrase[: len(phrase) // 2] + "".join(syllables[len(phrase) // 2:]))  # 身份zheng
            for typo in _typos(spelled, rng):
                add(typo)
            add("".join(lazy_pinyin(phrase, style=Style.FIRST_LETTER)) + " " + phrase[-2:])
    rng.shuffle(out)
    return out[:limit]
