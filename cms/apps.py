from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "网站内容"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django_tenants.signals import schema_migrated

        from . import signals
        from .site_setup import drop_wagtail_stock_groups_after_migrate

        signals.connect()
        schema_migrated.connect(drop_wagtail_stock_groups_after_migrate, dispatch_uid="yimen-stock-groups")
