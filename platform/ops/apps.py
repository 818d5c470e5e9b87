from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health and readiness probes, Prometheus metrics, JSON logs,
    allowed hosts from the points' domains, the demo network loader. (A point's
    export, import and deletion live in tenants, beside its onboarding.)"""

    name = "ops"
    verbose_name = "运维"
