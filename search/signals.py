"""Guide changes made through Wagtail reach the search outbox (search.indexing).
Bulk paths that send no signals (adoption, propagation) call queue_changes themselves."""
from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms.models import ItemGuidePage
from standards.models import StandardItem

from . import analysis, indexing


def _guide_changed(sender, instance, **kwargs):
    indexing.queue_changes([instance.code])


def _page_moved(sender, instance, **kwargs):
    # A moved guide changes its URL (or leaves the catalogue); its subtree too.
    specific = instance.specific_class
    if specific is ItemGuidePage:
        indexing.queue_changes([instance.specific.code])
    else:
        codes = ItemGuidePage.objects.descendant_of(instance).values_list("code", flat=True)
        indexing.queue_changes(list(codes))


def _item_saved(sender, instance, **kwargs):
    # A version published here: this process's next search sees it (analysis.current_vocabulary).
    transaction.on_commit(analysis.invalidate)


def connect():
    page_published.connect(_guide_changed, sender=ItemGuidePage, dispatch_uid="yimen-search-published")
    page_unpublished.connect(_guide_changed, sender=ItemGuidePage, dispatch_uid="yimen-search-unpublished")
    post_delete.connect(_guide_changed, sender=ItemGuidePage, dispatch_uid="yimen-search-deleted")
    post_page_move.connect(_page_moved, dispatch_uid="yimen-search-moved")
    post_save.connect(_item_saved, sender=StandardItem, dispatch_uid="yimen-search-item-saved")
