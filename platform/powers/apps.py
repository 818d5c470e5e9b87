"""Powers delegated to industrial parks (赋权强园): grants from county departments
to park points, their scope and legal basis, and what routing reads of them (issue 15)."""
from django.apps import AppConfig


class PowersConfig(AppConfig):
    name = "powers"
    verbose_name = "赋权强园"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants.archive import shared_rows

        shared_rows.register_not_exported(
            "powers.PowerGrant",
            "a grant binds two points (the county that grants and the park that acts) under a legal instrument: it "
            "stays in the network's public schema with its history, like the cases it routed")
        shared_rows.register_not_exported("powers.GrantEvent", "part of its grant's history (see powers.PowerGrant)")
        shared_rows.register_not_exported("powers.GrantReminder", "part of its grant (see powers.PowerGrant)")
        shared_rows.register_not_exported(
            "powers.AgencyProject",
            "a park's 全程代办 project follows an enterprise's approvals across the county's departments and its "
            "cases: it stays in the network's public schema with them")
