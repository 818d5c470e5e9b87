from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health and readiness probes, Prometheus metrics, JSON logs,
    allowed hosts from the points' domains, per-point export and import."""

    name = "ops"
    verbose_name = "运维"
