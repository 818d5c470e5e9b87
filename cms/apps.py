from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "网站内容"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django_tenants.signals import schema_migrated

        from powers import hooks as powers_hooks
        from standards.hooks import register_version_applier
        from tenants import hooks

        from . import delegation, page_cache_events, propagation, signals, site_setup

        signals.connect()
        page_cache_events.connect()  # what invalidates cached citizen pages (cms.page_cache)
        schema_migrated.connect(site_setup.drop_wagtail_stock_groups_after_migrate,
                                dispatch_uid="yimen-stock-groups")
        # What a new point needs of cms, asked for by tenants' onboarding.
        hooks.point_schema_created.connect(site_setup.set_up_new_point, dispatch_uid="yimen-cms-new-point")
        hooks.template_schema_migrated.connect(site_setup.reset_template_schema,
                                               dispatch_uid="yimen-cms-template")
        # How a published standard version reaches a point's guide, asked for by standards' propagation.
        register_version_applier(propagation.apply_version)
        # A grant to a park starting or ending: the park's catalogue and every guide's search document.
        powers_hooks.grant_started.connect(delegation.grant_started, dispatch_uid="yimen-cms-grant-started")
        powers_hooks.grant_ended.connect(delegation.grant_ended, dispatch_uid="yimen-cms-grant-ended")
