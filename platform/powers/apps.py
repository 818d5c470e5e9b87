from django.apps import AppConfig


class PowersConfig(AppConfig):
    name = "powers"
    verbose_name = "赋权强园"
    default_auto_field = "django.db.models.BigAutoField"
