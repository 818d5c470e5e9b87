from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "服务点"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .restriction_groups import narrow_restriction_groups

        narrow_restriction_groups()
