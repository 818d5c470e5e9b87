"""ALLOWED_HOSTS derived from the points' domains.

Every point answers at `<slug>.<BASE_DOMAIN>`, covered by the `.BASE_DOMAIN`
pattern; a point may also have other Domain rows (e.g. a township's own
government domain). Those are read from the Domain table, cached for a
minute in the process, so a domain added in the admin is accepted without a
restart and a removed one stops being accepted. Anything else gets Django's
400 (DisallowedHost) before any view runs.
"""
from __future__ import annotations

import threading
import time

REFRESH_SECONDS = 60


class PointHosts(list):
    """A list Django iterates at every host check: fixed patterns + the Domain table."""

    def __init__(self, fixed: list[str]):
        super().__init__(fixed)
        self._fixed = list(fixed)
        self._domains: list[str] = []
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def _extra_domains(self) -> list[str]:
        if time.monotonic() - self._read_at > REFRESH_SECONDS:
            with self._lock:
                try:
                    from tenants.models import Domain

                    self._domains = [d.lower() for d in Domain.objects.values_list("domain", flat=True)
                                     if not any(_covers(p, d.lower()) for p in self._fixed)]
                except Exception:  # database not reachable: keep the last list, /readyz reports it
                    pass
                self._read_at = time.monotonic()
        return self._domains

    def refresh(self) -> None:
        self._read_at = float("-inf")

    def __iter__(self):
        yield from self._fixed
        yield from self._extra_domains()

    def __contains__(self, item) -> bool:
        return item in list(iter(self))

    def __bool__(self) -> bool:
        return True


def _covers(pattern: str, host: str) -> bool:
    from django.utils.http import is_same_domain

    return is_same_domain(host, pattern)
