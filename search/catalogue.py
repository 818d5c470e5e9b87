"""What the analysis vocabulary is built from: the current published versions
of the standard library and the synonym table (both in public)."""
from __future__ import annotations

from django.db import connection
from django.db.models import F

from standards.models import StandardItemVersion

from .models import SynonymGroup


def catalogue_stamp() -> tuple:
    """Changes whenever a version is published or a synonym group is saved or removed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM standards_standarditem WHERE current_id IS NOT NULL),"
            " (SELECT max(current_id) FROM standards_standarditem),"
            " (SELECT count(*) FROM search_synonymgroup), (SELECT max(updated_at) FROM search_synonymgroup)")
        return cursor.fetchone()


def vocabulary_sources() -> tuple[list[dict], list[tuple[str, tuple[str, ...]]]]:
    """The catalogue's records, and every synonym group as (authority, words)."""
    records = [
        {"name": content["name"], "aliases": content.get("aliases", []), "result": content.get("result", "")}
        for content in StandardItemVersion.objects.filter(item__current=F("pk")).values_list("content", flat=True)
    ]
    groups = [(owner, tuple(words)) for owner, words in SynonymGroup.objects.values_list("authority", "words")]
    return records, groups
