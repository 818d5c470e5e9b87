from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "办件"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants.archive import shared_rows
        from tenants.hooks import role_revoked

        from . import desk_hooks  # noqa: F401  (部门窗口 and 工作日历 in the Wagtail admin)
        from .desks import leave_desks

        role_revoked.connect(leave_desks, dispatch_uid="cases.leave_desks")
        from powers.hooks import grant_ended

        from .grants import on_grant_ended

        grant_ended.connect(on_grant_ended, dispatch_uid="cases.on_grant_ended")  # 赋权终止: cases in flight

        shared_rows.register_not_exported(
            "cases.Case",
            "a case belongs to every point it passed through and to the county, not to one point: it stays in "
            "the network's public schema, and a point that handled cases cannot be deleted or replaced")
        shared_rows.register_not_exported("cases.CaseEvent", "part of its case (see cases.Case)")
        shared_rows.register_not_exported("cases.Handoff", "part of its case (see cases.Case)")
        shared_rows.register_not_exported("cases.Notice", "part of its case (see cases.Case)")
        shared_rows.register_not_exported("cases.SmsMessage", "part of its case (see cases.Case)")
        shared_rows.register_not_exported("cases.ElectronicResult", "part of its case (see cases.Case)")
        shared_rows.register_not_exported("cases.Rating", "part of its case (see cases.Case)")
        shared_rows.register_not_exported("cases.FollowUp", "part of its case's rating (see cases.Case)")
        shared_rows.register_not_exported("cases.CaseNumberSequence", "numbering of the network's cases")
        shared_rows.register_not_exported(
            "cases.DeskAssignment", "staff of the point's departments: rebuilt with its role groups")
