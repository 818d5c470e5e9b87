"""gunicorn server hooks, shared by infra/gunicorn.conf.py (production) and
the benchmarks' servers (`-c python:yimen.gunicorn_hooks`).

post_worker_init runs in each new worker after it has loaded the app and
before it takes its first request. It builds the search vocabulary there: the
build takes 3-5 s of CPU (8-26 s on a loaded machine), and made by the first
search instead, it held every search of the worker meanwhile, after each
deploy and each worker recycled by max_requests.
"""
from __future__ import annotations

import logging
import time

from django.db import connections

from search.analysis import current_vocabulary

log = logging.getLogger(__name__)


def post_worker_init(worker) -> None:
    started = time.perf_counter()
    try:
        current_vocabulary()
        log.info("search vocabulary built before the first request, in %.1f s", time.perf_counter() - started)
    except Exception:  # PostgreSQL not up yet: the first search builds it, as before
        log.warning("search vocabulary not built before the first request", exc_info=True)
    finally:
        connections.close_all()  # opened outside a request: let the first request open its own
