"""The backend a search uses: Elasticsearch when ELASTICSEARCH_URL is set,
else PostgreSQL. When Elasticsearch cannot answer, the search falls back to
PostgreSQL (which always holds every document) with a logged warning, and
Elasticsearch is not asked again for a few seconds."""
from __future__ import annotations

import logging
import time

from django.conf import settings

from .base import BackendUnavailable
from .elastic import ElasticBackend
from .postgres import PostgresBackend

log = logging.getLogger("search")

postgres = PostgresBackend()
elastic = ElasticBackend()
_down_until = {"t": 0.0}


def elastic_enabled() -> bool:
    return bool(settings.ELASTICSEARCH_URL)


def run(method: str, *args):
    """(answer, backend name): Elasticsearch if it is configured and up, else PostgreSQL."""
    if elastic_enabled() and time.monotonic() >= _down_until["t"]:
        try:
            return getattr(elastic, method)(*args), elastic.name
        except BackendUnavailable as exc:
            _down_until["t"] = time.monotonic() + settings.SEARCH_ES_RETRY_SECONDS
            log.warning("search: Elasticsearch unavailable, answering from PostgreSQL (%s)", exc)
    return getattr(postgres, method)(*args), postgres.name


def reset() -> None:
    """Forget that Elasticsearch was down (tests, and after a reindex)."""
    _down_until["t"] = 0.0
