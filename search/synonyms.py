"""The synonym table central admins edit: one group per line, checked as a
whole; a bad line is reported by number and nothing is saved."""
from __future__ import annotations

import re

from django.db import transaction

from . import analysis
from .models import SynonymGroup

SEPARATORS = re.compile(r"[\s,，、;；~～|/]+")
WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]{2,20}$")


class SynonymError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


def as_text() -> str:
    return "\n".join(" ".join(group.words) for group in SynonymGroup.objects.all())


def parse(text: str) -> list[list[str]]:
    groups, problems, seen = [], [], {}
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
def replace_all(text: str, user=None) -> int:
    """Replace the whole table (checked first; on any problem nothing changes)."""
    groups = parse(text)
    SynonymGroup.objects.all().delete()
    SynonymGroup.objects.bulk_create([SynonymGroup(words=words, updated_by=user) for words in groups])
    transaction.on_commit(analysis.invalidate)
    return len(groups)
