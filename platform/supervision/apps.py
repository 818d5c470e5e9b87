"""电子监察: warning rules, the monitor that raises and clears warnings, supervisors' dashboards (issue 14)."""
from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "电子监察"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants.archive import shared_rows

        shared_rows.register_not_exported(
            "supervision.RuleSet", "the county network's warning rules: they belong to the network, not to one point")
        shared_rows.register_not_exported(
            "supervision.Warning", "part of its case (see cases.Case): kept with the case's history in public")
