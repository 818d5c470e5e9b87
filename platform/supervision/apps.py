from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "电子监察"
    default_auto_field = "django.db.models.BigAutoField"
