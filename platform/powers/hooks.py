"""Signals powers owns and higher apps connect to (in their AppConfig.ready()).

Both are sent inside the transaction that changes the grant: a receiver that
raises undoes the change, and whatever a receiver writes (cases moved back to
the county, an outbox row for pages and search) commits with it or not at all.

- grant_started(sender=PowerGrant, grant=grant): the grant begins to send cases to
  its park (activated or resumed on or after valid_from, or valid_from reached).
- grant_ended(sender=PowerGrant, grant=grant, how=…): it stops; `how` is one of
  "suspended", "revoked", "expired". `grant.on_end` says what becomes of the
  cases in flight (OnEnd.FINISH: they finish at the park; OnEnd.RETURN: back to
  the county department) — cases.grants carries that out.
"""
from django.dispatch import Signal

grant_started = Signal()
grant_ended = Signal()
