"""Hooks that tenants offers the apps above it.

tenants sits at the bottom of the stack (docs/architecture.md): it may not
import cms or search, yet making a point needs their parts (a Wagtail site,
the adopted guides). So tenants sends these signals at the right moment and
the apps above connect their receivers in their AppConfig.ready(). Receivers
run synchronously, inside the caller's transaction: an error in one rolls the
whole onboarding back, as before.
"""
from django.dispatch import Signal

# Sent by onboarding inside its transaction, with the new point's schema
# active, after the schema is made and before the first admin is granted.
# Arguments: point. (cms: the point's Wagtail site, then its adopted guides.)
point_schema_created = Signal()

# Sent while the onboarding template is built, in the freshly migrated
# template schema, just before it is dumped. Receivers delete what their data
# migrations leave behind that no new point may have. Arguments: none.
template_schema_migrated = Signal()
