"""Hooks that tenants offers the apps above it.

tenants sits at the bottom of the stack (docs/architecture.md): it may not
import cms or search, yet making a point needs their parts (a Wagtail site,
the adopted guides). So tenants sends these signals at the right moment and
the apps above connect their receivers in their AppConfig.ready(). Receivers
run synchronously, inside the caller's transaction: an error in one rolls the
whole onboarding (or deletion) back, as before.
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

# A point's lifecycle past creation (tenants.deletion, tenants.archive), sent
# from public. Arguments: point.
# point_deleting: inside the deletion's transaction, before any row goes
# (search takes its per-point lock: no task writes documents meanwhile).
point_deleting = Signal()
# point_deleted: after the commit, the schema, rows and files gone (search
# drops the point's documents from Elasticsearch).
point_deleted = Signal()
# point_restored: after an import committed; also `log`, the import's progress
# callable (search rebuilds the point's documents from its restored guides).
point_restored = Signal()

# Sent by tenants.roles.revoke_role inside its transaction, after a role at a point
# was taken from a user. Arguments: point, user, role. (cases: a user left
# with no role at the point leaves its department desks too.)
role_revoked = Signal()
