"""Django's migrate command, made faster for django-tenants' schemas
(settings.TENANT_BASE_MIGRATE_COMMAND points here).

In a point's schema the router refuses every shared-only app (auth, the cases,
the standards …), and in public every tenant-only one (Wagtail's hundred
migrations, taggit …): their operations change nothing there. Stock Django
still applies them one by one, and each operation re-renders the models it
touches and all models related to them (most of them relate to the user
model or Wagtail's page), though nothing is written: 86 % of a fresh
migration's time went to that rendering (py-spy, building the template).

Here a refused migration that no allowed pending migration depends on is
moved before all of them, and one that none of them depends on after all of
them, and those are passed over: their state changes are applied to a state
that is not rendered (cheap), and they are recorded as applied, as stock
Django records them. Refused migrations between allowed ones (none today) go
the stock way. The router decides by app label alone (TenantSyncRouter), and
every operation our migrations and the libraries' use asks it, so the schema
and its django_migrations rows come out as stock migrate makes them.
"""
from __future__ import annotations

from django.core.management.commands import migrate as django_migrate
from django.db import router
from django.db.migrations.executor import MigrationExecutor


class SchemaMigrationExecutor(MigrationExecutor):
    def _migrate_all_forwards(self, state, plan, full_plan, fake, fake_initial):
        if fake or fake_initial:
            return super()._migrate_all_forwards(state, plan, full_plan, fake, fake_initial)
        pending = {migration for migration, _ in plan}
        order = [migration for migration, _ in full_plan if migration in pending]
        here = {m for m in order if router.allow_migrate(self.connection.alias, m.app_label) is not False}
        after_allowed = self._reached(order, here, "parents")
        before_allowed = self._reached(list(reversed(order)), here, "children")
        head = [m for m in order if m not in here and m not in after_allowed]
        tail = [m for m in order if m not in here and m in after_allowed and m not in before_allowed]
        middle = [m for m in order if m not in head and m not in tail]
        for migration in head:
            state = self._pass_over(state, migration)
        state = super()._migrate_all_forwards(state, [(m, False) for m in middle], full_plan, fake, fake_initial)
        for migration in tail:
            state = self._pass_over(state, migration)
        return state

    def _reached(self, order: list, here: set, direction: str) -> set:
        """The migrations of `order` that have an allowed one among their pending
        neighbours' closure: ancestors ("parents", `order` in plan order) or
        descendants ("children", `order` reversed)."""
        keys = {(m.app_label, m.name): m for m in order}
        reached: set = set()
        for migration in order:
            node = self.loader.graph.node_map[(migration.app_label, migration.name)]
            for neighbour in (keys.get(n.key) for n in getattr(node, direction)):
                if neighbour is not None and (neighbour in here or neighbour in reached):
                    reached.add(migration)
                    break
        return reached

    def _pass_over(self, state, migration):
        """A migration that changes nothing in this schema: its state changes on
        an unrendered state (the next allowed migration renders it once), recorded."""
        if self.progress_callback:
            self.progress_callback("apply_start", migration, False)
        state.__dict__.pop("apps", None)
        state = migration.mutate_state(state, preserve=False)
        self.record_migration(migration)
        if self.progress_callback:
            self.progress_callback("apply_success", migration, False)
        return state


class Command(django_migrate.Command):
    def handle(self, *args, **options):
        # The stock command makes its executor by this module-level name.
        stock = django_migrate.MigrationExecutor
        django_migrate.MigrationExecutor = SchemaMigrationExecutor
        try:
            return super().handle(*args, **options)
        finally:
            django_migrate.MigrationExecutor = stock
