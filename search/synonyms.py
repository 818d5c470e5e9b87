"""The synonym tables: one group per line, checked as a whole; a bad line is
reported by number and nothing is saved.

Each county's central admins edit their county's own table; the shared groups
(of the whole cell, or of a prefecture) are read-only for them and changed by
the operator (`manage.py synonyms`). See standards/authority.py."""
from __future__ import annotations

import re

from django.db import transaction

from standards import authority

from . import analysis
from .models import SynonymGroup

SEPARATORS = re.compile(r"[\s,，、;；~～|/]+")
WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]{2,20}$")


class SynonymError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


def as_text(owner: str) -> str:
    """The table of one authority (a county's region code, or "" for the cell's shared groups)."""
    return _text(SynonymGroup.objects.filter(authority=owner))


def shared_text(point) -> str:
    """The groups that apply at `point` besides its county's own (read-only there)."""
    return _text(SynonymGroup.objects.filter(authority.visible_q(point)).exclude(authority=authority.of_point(point)))


def _text(groups) -> str:
    return "\n".join(" ".join(group.words) for group in groups.order_by("pk"))


def parse(text: str) -> list[list[str]]:
    groups: list[list[str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}  # word -> the line it first appeared on
    for number, line in enumerate(text.splitlines(), start=1):
        words = [w for w in SEPARATORS.split(line.strip()) if w]
        if not words:
            continue
        if len(words) < 2:
            problems.append(f"第 {number} 行只有一个词“{words[0]}”：同义词组至少要两个词。")
        for word in words:
            if not WORD.match(word):
                problems.append(f"第 {number} 行的“{word[:30]}”不是 2～20 个汉字、字母或数字。")
            elif word in seen and seen[word] != number:
                problems.append(f"“{word}”同时出现在第 {seen[word]} 行和第 {number} 行：一个词只能属于一组。")
            seen.setdefault(word, number)
        groups.append(list(dict.fromkeys(words)))
    if problems:
        raise SynonymError(problems)
    return groups


@transaction.atomic
def replace_all(text: str, owner: str, user=None) -> int:
    """Replace one authority's whole table, and no other's (checked first; on
    any problem nothing changes)."""
    if not authority.is_valid(owner):
        raise SynonymError([f"所属区划“{owner}”应为 6 位（县级）或 4 位（市级）区划代码，或为空（全辖区共用）。"])
    groups = parse(text)
    SynonymGroup.objects.filter(authority=owner).delete()
    SynonymGroup.objects.bulk_create([SynonymGroup(words=words, authority=owner, updated_by=user)
                                      for words in groups])
    transaction.on_commit(analysis.invalidate)
    return len(groups)
