from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "online"
    verbose_name = "网上办事"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants.archive import shared_rows

        shared_rows.register_not_exported(
            "online.CitizenAccount", "a citizen's account belongs to the network, not to one point")
        shared_rows.register_not_exported("online.SignInCode", "short-lived sign-in codes of network accounts")
        shared_rows.register_not_exported(
            "online.Draft", "an applicant's draft belongs to the applicant's network account")
        shared_rows.register_not_exported(
            "online.Upload", "an applicant's file belongs to the applicant's case or draft, not to the point's pages")
