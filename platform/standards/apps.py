from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "standards"
    verbose_name = "事项标准库"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants.archive import shared_rows

        # What a point's archive carries of standards (tenants may not import standards).
        # Which standard items the point offers, at which version (mirror of its live guides).
        shared_rows.register("standards.Adoption", "point")
        shared_rows.register_not_exported(
            "standards.PropagationTarget",
            "the county's record of a past publication, not the point's data: a restored point's guides "
            "keep the versions they are pinned to, and a later publication reaches it through its adoptions")
