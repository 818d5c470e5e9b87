"""Django's PostgreSQL backend, except that a point's schema gets no foreign-key
constraints to the shared tables in public (users, groups, permissions,
content types).

Each such constraint puts two integrity triggers on the public table, per
point: with 100 points auth_user already carried 3,300 of them, every one
fired on each update of a user (a sign-in updates last_login), and each new
point's CREATE TABLE grew slower as the trigger lists grew. Within a schema,
and within public, constraints are made as usual. Both ways of building a
schema (migrations and the onboarding template) go through this editor, so
they stay identical. The price: the database does not stop a user from being
deleted while a point still names them, so users are deactivated, never
deleted (accounts.User refuses the delete).
"""
from django.apps import apps
from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.postgresql.schema import DatabaseSchemaEditor


def shared_only_app_labels() -> set[str]:
    names = set(settings.SHARED_APPS) - set(settings.TENANT_APPS)
    return {config.label for config in apps.get_app_configs() if config.name in names}


class PointSchemaEditor(DatabaseSchemaEditor):
    # Route every foreign key through _create_fk_sql (no inline form), so the
    # one rule below sees them all; the constraint made is the same.
    sql_create_column_inline_fk = None

    def _create_fk_sql(self, model, field, suffix):
        target = field.target_field.model._meta.app_label
        in_point_schema = getattr(self.connection, "schema_name", "public") != settings.PUBLIC_SCHEMA_NAME
        if in_point_schema and target in shared_only_app_labels():
            return None
        return super()._create_fk_sql(model, field, suffix)

    def execute(self, sql, params=()):
        if sql is None:  # a skipped foreign key
            return None
        return super().execute(sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = PointSchemaEditor
