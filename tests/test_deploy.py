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
