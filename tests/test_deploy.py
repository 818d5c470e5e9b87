"""The deploy path: points with nothing pending are skipped; the rest are
brought up to date and end identical to the others."""
from django.db import connection

from tenants.deploy import deploy_points, pending_by_schema
from tenants.schema_catalog import catalog_differences, schema_catalog


def _unapply_last_wagtail_migration(schema):
    """Put a point one migration behind: undo wagtailembeds 0009 (a new column;
    no migration depends on it)."""
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}".wagtailembeds_embed DROP COLUMN cache_until')
        cursor.execute(f"DELETE FROM \"{schema}\".django_migrations "
                       "WHERE app = 'wagtailembeds' AND name = '0009_embed_cache_until'")


def test_deploy_skips_up_to_date_points_and_replays_pending_ones(network):
    schemas = [network.village.schema_name, network.other_village.schema_name, network.park.schema_name]
    assert pending_by_schema(schemas) == {}
    _unapply_last_wagtail_migration(network.village.schema_name)
    behind = frozenset({("wagtailembeds", "0009_embed_cache_until")})
    assert pending_by_schema(schemas) == {network.village.schema_name: behind}

    lines = []
    report = deploy_points(schemas=schemas, progress=lines.append)
    assert (report.up_to_date, report.replayed, report.migrated, report.failed) == (2, 1, 0, {})
    assert any("跳过" in line for line in lines)
    assert pending_by_schema(schemas) == {}
    assert catalog_differences(schema_catalog(network.village.schema_name),
                               schema_catalog(network.park.schema_name)) == []


def _recorded(schema, app="wagtailembeds", name="0009_embed_cache_until"):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations WHERE app = %s AND name = %s',
                       [app, name])
        return cursor.fetchone()[0]


def _has_cache_until(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = %s "
                       "AND table_name = 'wagtailembeds_embed' AND column_name = 'cache_until'", [schema])
        return cursor.fetchone()[0] == 1


def test_deploy_command_migrates_each_point_once_reports_a_broken_one_and_skips_a_current_public(network):
    """What the engineer running a release sees: every point behind gets the
    migration exactly once; a point that cannot take it is named on stderr and
    left as it was (its transaction rolled back) while the others go on; a
    public schema missing a migration is migrated, a current one is skipped."""
    from io import StringIO

    import pytest
    from django.core.management import CommandError, call_command

    behind = [network.village.schema_name, network.other_village.schema_name]
    broken = network.park.schema_name
    for schema in behind:
        _unapply_last_wagtail_migration(schema)
    with connection.cursor() as cursor:
        # The park's record is gone but its column is not: replaying the migration fails there.
        cursor.execute(f"DELETE FROM \"{broken}\".django_migrations "
                       "WHERE app = 'wagtailembeds' AND name = '0009_embed_cache_until'")
        cursor.execute("DELETE FROM public.django_migrations "
                       "WHERE app = 'wagtailembeds' AND name = '0009_embed_cache_until'")

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="部分服务点迁移失败"):
        call_command("deploy_points", stdout=out, stderr=err)
    assert "迁移公共 schema" in out.getvalue()
    assert _recorded("public") == 1
    for schema in behind:
        assert (_recorded(schema), _has_cache_until(schema)) == (1, True)
    assert broken in err.getvalue() and "cache_until" in err.getvalue()
    assert (_recorded(broken), _has_cache_until(broken)) == (0, True)  # untouched by the failed replay
    assert network.village.schema_name not in err.getvalue()

    # The engineer repairs the park (here: drops the stray column) and deploys again.
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{broken}".wagtailembeds_embed DROP COLUMN cache_until')
    out = StringIO()
    call_command("deploy_points", stdout=out, stderr=StringIO())
    assert "公共 schema 无待执行迁移，跳过" in out.getvalue()
    assert "迁移公共 schema" not in out.getvalue()
    for schema in [*behind, broken]:
        assert (_recorded(schema), _has_cache_until(schema)) == (1, True)
    assert pending_by_schema([*behind, broken]) == {}
    assert catalog_differences(schema_catalog(broken), schema_catalog(network.county.schema_name)) == []
