"""JSON log lines for production (one object per line, for the cluster's log collector).

Standard library only. Each line carries the time, level, logger, message,
the PostgreSQL schema active at the time (which point it concerns), and the
traceback if any.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        schema = _current_schema()
        if schema:
            entry["schema"] = schema
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        status = getattr(record, "status_code", None)
        if status:
            entry["status"] = status
        return json.dumps(entry, ensure_ascii=False, default=str)


def _current_schema() -> str | None:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", None)
    except Exception:  # before Django is set up (e.g. gunicorn's own start-up lines)
        return None
