from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "服务点"
    default_auto_field = "django.db.models.BigAutoField"
