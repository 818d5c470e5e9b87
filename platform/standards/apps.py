from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "standards"
    verbose_name = "事项标准库"
    default_auto_field = "django.db.models.BigAutoField"
