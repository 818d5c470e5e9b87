"""Onboarding: fast, exact (same catalog as migrations), all or nothing."""
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from tenants.hooks import template_schema_migrated
from tenants.models import Domain, PointGroup, ServicePoint
from tenants.onboarding import AdminSpec, OnboardingError, PointSpec, onboard_point
from tenants.schema_catalog import catalog_differences, schema_catalog
from tenants.schema_template import TEMPLATE_SCHEMA, build_template, create_schema_from_template


def test_new_point_has_its_own_site_home_page_and_admin(network, client_at):
    point = network.make("fresh", "village", network.township.region_code[:9] + "250", "town",
                         admin=AdminSpec(f"{network.tag}-boss", "s3cret-Pass-77"))
    assert schema_exists(point.schema_name)
    assert Domain.objects.get(tenant=point).domain == f"{point.slug}.localhost"

    client = client_at(point)
    home = client.get("/")
    assert home.status_code == 200
    assert point.name in home.content.decode()
    assert "0731-86200000" in home.content.decode()

    assert client.login(username=f"{network.tag}-boss", password="s3cret-Pass-77")
    assert client.get("/admin/").status_code == 200


@pytest.fixture(scope="module")
def migrated(shared_network, django_db_blocker):
    """The catalog and migration history of a schema built by every migration
    (the slow way, ~180 migrations), made once as the reference of the tests
    that compare a point's schema with it: the template rebuilt from nothing,
    read when its migrations have run (template_schema_migrated) and before it
    is dumped. The rebuild runs while the shared network's points exist, which
    the rebuild's own test needs."""
    taken = {}

    def take(sender, **kwargs):
        # From public, as the reference was always read: PostgreSQL names a
        # constraint's table without its schema when that schema is on the path.
        with schema_context("public"):
            taken["catalog"] = schema_catalog(TEMPLATE_SCHEMA)
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT app, name FROM "{TEMPLATE_SCHEMA}".django_migrations')
                taken["history"] = set(cursor.fetchall())

    template_schema_migrated.connect(take, weak=False, dispatch_uid="test-onboarding-migrated")
    with django_db_blocker.unblock():
        try:
            build_template(incremental=False)
        finally:
            template_schema_migrated.disconnect(dispatch_uid="test-onboarding-migrated")
            connection.set_schema_to_public()
    return taken["catalog"], taken["history"]


def test_template_schema_is_identical_to_a_migrated_one(network, migrated):
    """Object for object: tables, columns and types, constraints by name,
    indexes and sequences. django-tenants' clone_schema failed exactly this."""
    a, history = migrated
    cloned = f"cmp_cloned_{network.tag.replace('x', '_')}"
    try:
        create_schema_from_template(cloned)
        b = schema_catalog(cloned)
        assert len(a["tables"]) > 40 and len(a["constraints"]) > 100 and a["sequences"]
        differences = catalog_differences(a, b)
        assert differences == [], "\n".join(differences)
        # And the migration history is the same, so the next migrate agrees.
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT app, name FROM "{cloned}".django_migrations')
            assert history - set(cursor.fetchall()) == set()
        # A later migration that drops a constraint by the name migrations gave
        # it (what broke on django-tenants' clone) works on the onboarded schema.
        names = [row[1] for row in a["constraints"] if row[0] == "wagtailcore_page" and row[2] == "f"]
        assert names
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'ALTER TABLE "{cloned}".wagtailcore_page DROP CONSTRAINT "{name}"')
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{cloned}" CASCADE')


def _counts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'p\\_%%'")
        schemas = cursor.fetchone()[0]
    return (ServicePoint.objects.count(), Domain.objects.count(), Group.objects.count(),
            PointGroup.objects.count(), schemas)


def _spec(network, **overrides):
    values = dict(name="新村便民服务站", slug=f"{network.tag}-new", tier="village",
                  region_code=network.township.region_code[:9] + "260",
                  parent_slug=network.township.slug, admin=AdminSpec(f"{network.tag}-new-admin", "Long-pass-2026"))
    values.update(overrides)
    return PointSpec(**values)


@pytest.mark.parametrize("overrides, field, words", [
    ({"slug": "TAKEN"}, "slug", "已被其他服务点使用"),
    ({"slug": "Bad_Slug!"}, "slug", "小写字母"),
    ({"region_code": "12345"}, "region_code", "12 位数字"),
    ({"region_code": "999999101260"}, "region_code", "前 9 位"),
    ({"tier": "village", "parent_slug": "COUNTY"}, "parent", "上级必须是乡镇（街道）"),
    ({"tier": "township", "parent_slug": "TOWN"}, "parent", "上级必须是县级"),
    ({"parent_slug": "no-such-point"}, "parent", "不存在"),
    ({"latitude": 95}, "latitude", "纬度"),
    ({"admin": AdminSpec("nobody-here")}, "admin_username", "不存在"),
])
def test_bad_input_gets_a_chinese_message_and_changes_nothing(shared_network, overrides, field, words):
    """Refused input changes nothing: these cases share one network."""
    network = shared_network
    replacements = {"TAKEN": network.village.slug, "COUNTY": network.county.slug, "TOWN": network.township.slug}
    overrides = {k: replacements.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    before = _counts()
    with pytest.raises(OnboardingError) as caught:
        onboard_point(_spec(network, **overrides))
    assert field in caught.value.errors
    assert any(words in message for message in caught.value.errors[field]), caught.value.errors
    assert _counts() == before


def test_taken_slug_is_named_in_the_message(shared_network):
    network = shared_network
    with pytest.raises(OnboardingError) as caught:
        onboard_point(_spec(network, slug=network.village.slug))
    assert f"标识“{network.village.slug}”已被其他服务点使用。" in caught.value.errors["slug"]


def test_failure_half_way_leaves_nothing_behind(network, monkeypatch):
    """A fault injected after the schema, domain and groups exist rolls all back."""
    import cms.site_setup

    def broken(point):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cms.site_setup, "install_point_site", broken)
    before = _counts()
    spec = _spec(network)
    with pytest.raises(RuntimeError, match="disk full"):
        onboard_point(spec)
    assert _counts() == before
    assert not schema_exists(f"p_{spec.slug.replace('-', '_')}")
    assert not Domain.objects.filter(domain__startswith=spec.slug).exists()
    # And the same point can be onboarded once the fault is gone.
    monkeypatch.undo()
    assert onboard_point(spec).slug == spec.slug


def test_a_template_rebuilt_while_points_exist_grants_nothing_to_their_groups(shared_network, migrated, network):
    """Wagtail's data migrations grant rights to every group in the shared
    auth_group; a new point must only know its own and its ancestors' groups.
    The template was rebuilt from nothing (`migrated`) while the shared
    network's points and their groups existed."""
    from wagtail.models import GroupCollectionPermission, GroupPagePermission

    from tenants.access import authority_groups

    point = network.make("late", "village", network.township.region_code[:9] + "270", "town")
    allowed = set(authority_groups(point).values_list("group_id", flat=True))
    assert shared_network.village.role_groups.exists()
    with schema_context(point.schema_name):
        granted = set(GroupCollectionPermission.objects.values_list("group_id", flat=True))
        granted |= set(GroupPagePermission.objects.values_list("group_id", flat=True))
    assert granted and granted <= allowed


@pytest.mark.parametrize("new_migrations", ["schema changes", "with Python or SQL of their own"])
def test_template_of_an_earlier_release_is_brought_forward_not_rebuilt(network, migrated, monkeypatch,
                                                                       new_migrations):
    """A release with new migrations refreshes the template from the previous
    one by running only those migrations: schema changes are added to its SQL
    as Django generates them (no pg_dump, whose time grows with the number of
    points), anything else runs in the template schema, which is dumped again.
    Either way, points made from it match a schema built by every migration."""
    from tenants.models import SchemaTemplate
    from tenants.schema_template import _run_template_sql, dump_schema_sql, migration_fingerprint, portable_sql

    current = SchemaTemplate.objects.get(fingerprint=migration_fingerprint())
    # Make "the previous release's" template: today's, one migration behind
    # (wagtailembeds 0009 adds a column; nothing depends on it).
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{TEMPLATE_SCHEMA}" CASCADE')
    _run_template_sql(TEMPLATE_SCHEMA, current.sql)
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{TEMPLATE_SCHEMA}".wagtailembeds_embed DROP COLUMN cache_until')
        cursor.execute(f"DELETE FROM \"{TEMPLATE_SCHEMA}\".django_migrations "
                       "WHERE app = 'wagtailembeds' AND name = '0009_embed_cache_until'")
    older = portable_sql(dump_schema_sql(TEMPLATE_SCHEMA), TEMPLATE_SCHEMA, current.partial_indexes)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{TEMPLATE_SCHEMA}" CASCADE')
    assert '"cache_until"' not in older
    current.delete()
    SchemaTemplate.objects.create(fingerprint="previous-release", sql=older,
                                  partial_indexes=current.partial_indexes)

    import tenants.schema_template

    def from_nothing(schema_name):
        raise AssertionError("the template was rebuilt from nothing, not brought forward")

    def no_dump(schema_name):
        raise AssertionError("the template was dumped for a release of schema changes")

    with monkeypatch.context() as patch:
        patch.setattr(tenants.schema_template, "migrate_fresh_schema", from_nothing)
        if new_migrations == "schema changes":
            patch.setattr(tenants.schema_template, "dump_schema_sql", no_dump)
        else:  # as pending_sql answers for a RunPython or RunSQL step
            patch.setattr(tenants.schema_template, "pending_sql", lambda schema, **kwargs: None)
        refreshed = build_template()
    assert refreshed.fingerprint == migration_fingerprint()
    assert list(SchemaTemplate.objects.values_list("fingerprint", flat=True)) == [refreshed.fingerprint]
    assert '"cache_until"' in refreshed.sql

    point = network.make("after-release", "village", network.township.region_code[:9] + "290", "town")
    differences = catalog_differences(migrated[0], schema_catalog(point.schema_name))
    assert differences == [], "\n".join(differences)
