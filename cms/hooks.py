"""Hooks that cms offers the apps above it (search).

cms may not import search (docs/architecture.md), yet every change of a
point's live guides must reach the catalogue search. cms sends
`guides_changed` wherever it changes guides without Wagtail's own page
signals (bulk adoption, a propagated version); search connects its outbox in
its AppConfig.ready(). Receivers run synchronously, inside the sender's
transaction, which is what keeps the outbox row and the change together.
"""
from django.dispatch import Signal

# Arguments: point (ServicePoint), codes (item codes whose guides changed).
guides_changed = Signal()
