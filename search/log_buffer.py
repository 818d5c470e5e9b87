"""The search log, written in batches (issue 16): a search hands its row to
this process's buffer and answers; a daemon thread writes what gathered with
one multi-row INSERT every SEARCH_LOG_FLUSH_SECONDS (1 s). So a search no
longer waits for an INSERT and its commit (a WAL flush) under load, and the
database takes one statement a second per process instead of hundreds.

What a crash can lose is the last second's rows of that process: the log is
statistics (搜索统计), not a record anyone relies on. At exit the buffer is
written. With SEARCH_LOG_FLUSH_SECONDS = 0 (the test settings) a row is
written at once, as before.
"""
from __future__ import annotations

import atexit
import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from .models import SearchLog

log = logging.getLogger(__name__)
MAX_ROWS = 5000  # beyond this the buffer is written at once by the search that fills it

_lock = threading.Lock()
_rows: list[SearchLog] = []
_flusher: dict = {"thread": None, "pid": None}


def add(row: SearchLog) -> None:
    seconds = settings.SEARCH_LOG_FLUSH_SECONDS
    if not seconds:
        row.save(force_insert=True)
        return
    with _lock:
        _rows.append(row)
        full = len(_rows) >= MAX_ROWS
    _ensure_flusher(seconds)
    if full:
        flush()


def flush() -> int:
    """Write what gathered; returns how many rows."""
    with _lock:
        rows = _rows[:]
        _rows.clear()
    if not rows:
        return 0
    try:
        SearchLog.objects.bulk_create(rows)
    except Exception:  # the database away for a moment: the rows go back for the next round
        log.warning("search log: %s rows not written yet", len(rows), exc_info=True)
        with _lock:
            if len(_rows) < MAX_ROWS:
                _rows[:0] = rows
        return 0
    return len(rows)


def _ensure_flusher(seconds: float) -> None:
    import os

    if _flusher["thread"] is not None and _flusher["pid"] == os.getpid():
        return
    with _lock:
        if _flusher["thread"] is not None and _flusher["pid"] == os.getpid():
            return  # (after a fork the parent's thread is not ours: start one)
        thread = threading.Thread(target=_run, args=(seconds,), name="search-log", daemon=True)
        _flusher.update(thread=thread, pid=os.getpid())
        thread.start()


def _run(seconds: float) -> None:
    pause = threading.Event()
    while True:
        pause.wait(seconds)
        try:
            close_old_connections()
            flush()
        except Exception:  # never let the thread die: searches keep adding rows
            log.exception("search log: flushing failed")
        if not settings.SEARCH_LOG_FLUSH_SECONDS:  # turned off (a test): the thread and its connection go
            with _lock:
                _flusher.update(thread=None, pid=None)
            connection.close()
            return


atexit.register(flush)
