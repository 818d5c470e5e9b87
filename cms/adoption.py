"""Which standard items a point offers: adopting and dropping guides.

Run inside the point's schema (tenant_context). Adopting creates the guide
pages in bulk: two INSERTs for the pages whatever their number, instead of one
`add_child` per page (each of which reads and rewrites the tree). The guides
are plain live pages without a first revision; their first revision is the
first edit or the first new standard version. `Adoption` rows in public mirror
the live guides so the network can ask who accepts an item.
"""
from __future__ import annotations

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from standards import adoptions
from standards.models import StandardItem, StandardItemVersion
from tenants.models import ServicePoint

from . import page_cache
from .hooks import guides_changed
from .models import HomePage, ItemGuidePage, ItemIndexPage

INDEX_SLUG = "items"


class AdoptionError(Exception):
    pass


def index_page() -> ItemIndexPage:
    """The point's 办事指南 index, made on first use."""
    found = ItemIndexPage.objects.first()
    if found:
        return found
    home = HomePage.objects.get()
    return home.add_child(instance=ItemIndexPage(title="办事指南", slug=INDEX_SLUG))


def adoptable_versions(point: ServicePoint):
    """The current published versions of the items the point's tier may accept,
    among those of its own county and the shared ones (standards.authority)."""
    return (StandardItemVersion.objects.filter(item__current=F("pk"), accept_tiers__contains=[point.tier],
                                               item__in=StandardItem.objects.visible_to(point))
            .order_by("item__code"))


def adopted_codes() -> set[str]:
    return set(ItemGuidePage.objects.values_list("code", flat=True))


@transaction.atomic
def adopt(point: ServicePoint, versions, *, owner=None) -> list[ItemGuidePage]:
    """Give the point a live guide for each version whose item it does not offer yet."""
    versions = list(versions)
    wrong_tier = [v.code for v in versions if point.tier not in v.accept_tiers]
    if wrong_tier:
        raise AdoptionError(f"本点层级不能收件的事项不能采用：{'、'.join(wrong_tier)}")
    mine = set(StandardItem.objects.visible_to(point).filter(pk__in={v.item_id for v in versions})
               .values_list("pk", flat=True))
    foreign = [v.code for v in versions if v.item_id not in mine]
    if foreign:
        raise AdoptionError(f"其他县的事项不能采用：{'、'.join(foreign)}")
    index = index_page()
    index = Page.objects.select_for_update().get(pk=index.pk)  # one adopter at a time extends the tree
    have = adopted_codes()  # after the lock: a concurrent adopter's guides are visible now
    versions = [v for v in versions if v.code not in have]
    if not versions:
        return []
    last = index.get_last_child()
    step = ItemGuidePage._str2int(last.path[-Page.steplen:]) if last else 0
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(ItemGuidePage)
    pages = [
        Page(title=v.name, draft_title=v.name, slug=v.code, content_type=content_type,
             path=Page._get_path(index.path, index.depth + 1, step + n), depth=index.depth + 1, numchild=0,
             url_path=f"{index.url_path}{v.code}/", live=True, has_unpublished_changes=False,
             first_published_at=now, last_published_at=now, locale_id=index.locale_id,
             translation_key=uuid.uuid4(), owner=owner)
        for n, v in enumerate(versions, start=1)
    ]
    Page.objects.bulk_create(pages)
    _insert_guide_rows(pages, versions)
    Page.objects.filter(pk=index.pk).update(numchild=index.numchild + len(pages))
    adoptions.record_adopted(point, versions)
    guides = list(ItemGuidePage.objects.filter(pk__in=[p.pk for p in pages]).select_related("standard_version"))
    # Bulk inserts send no save signals: index the guides for the Wagtail
    # admin's page search ourselves (one statement per batch, ~0.1 s for 210).
    get_search_backend().add_bulk(ItemGuidePage, guides)
    # And for the catalogue search (bulk inserts send no page_published either).
    guides_changed.send(sender=ItemGuidePage, point=point, codes=[v.code for v in versions])
    # Its catalogue, and the "where else" of the items' guides at the network's other points.
    page_cache.network_changed(point)
    return guides


def _insert_guide_rows(pages: list[Page], versions: list[StandardItemVersion]) -> None:
    """The ItemGuidePage half of each page: Django's bulk_create refuses
    multi-table inheritance, so one INSERT with every column, defaults included."""
    fields = [f for f in ItemGuidePage._meta.local_concrete_fields]
    rows = []
    for page, version in zip(pages, versions, strict=True):
        guide = ItemGuidePage(page_ptr_id=page.pk, code=version.code, standard_version_id=version.pk)
        rows.append([f.get_db_prep_save(getattr(guide, f.attname), connection) for f in fields])
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {ItemGuidePage._meta.db_table} ({columns}) VALUES {placeholders}",
                       [value for row in rows for value in row])


@transaction.atomic
def drop(point: ServicePoint, codes) -> int:
    """Stop offering these items: their guides are deleted (Wagtail keeps the log)."""
    codes = set(codes)
    guides = list(ItemGuidePage.objects.filter(code__in=codes))
    for guide in guides:
        guide.delete()
    adoptions.record_dropped(point, codes)
    if guides:  # (each deletion bumped already; this states it where drops happen)
        page_cache.network_changed(point)
    return len(guides)


def adopt_for_tier(point: ServicePoint, *, owner=None) -> list[ItemGuidePage]:
    """Onboarding: every item the point's tier may accept."""
    return adopt(point, adoptable_versions(point), owner=owner)
