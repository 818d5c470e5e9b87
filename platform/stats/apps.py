from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "统计"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants.archive import shared_rows

        shared_rows.register_not_exported(
            "stats.Rollup", "derived from the cases' events: rebuild_statistics recomputes a point's rows")
