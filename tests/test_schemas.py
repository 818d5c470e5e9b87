"""Where tables live: Wagtail only in point schemas, shared tables only in public."""
from django.db import connection


def _tables(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_wagtail_stays_out_of_public_and_shared_tables_out_of_points(network):
    public, point = _tables("public"), _tables(network.village.schema_name)
    # With Wagtail tables in public, a table missing from a point's schema
    # would silently fall through to public's.
    assert not {t for t in public if t.startswith(("wagtail", "cms_", "taggit"))}
    assert {"wagtailcore_page", "wagtailcore_site", "cms_homepage", "django_session"} <= point
    # Content types, users and groups exist once, so their ids agree everywhere.
    assert not point & {"django_content_type", "accounts_user", "auth_group", "auth_permission",
                        "tenants_servicepoint", "tenants_domain"}
    assert {"django_content_type", "accounts_user", "tenants_servicepoint"} <= public
