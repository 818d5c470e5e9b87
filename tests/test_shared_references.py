"""A point's schema references shared rows without database constraints, so
public tables do not collect integrity triggers per point; and accounts are
deactivated, never deleted."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.deletion import ProtectedError

from tenants.models import Role


def _fks_to_public(schema):
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
                          JOIN pg_class t ON t.oid = co.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                          WHERE n.nspname = %s AND co.contype = 'f' AND tn.nspname = 'public'""", [schema])
        return cursor.fetchone()[0]


def _triggers_on(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass", [table])
        return cursor.fetchone()[0]


def test_new_points_add_no_triggers_to_shared_tables(network):
    assert _fks_to_public(network.village.schema_name) == 0
    before = {t: _triggers_on(t) for t in ("public.accounts_user", "public.django_content_type")}
    network.make("more", "village", network.township.region_code[:9] + "299", "town")
    assert {t: _triggers_on(t) for t in before} == before
    # Inside the point's schema the usual constraints are there.
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
                          WHERE n.nspname = %s AND co.contype = 'f'""", [network.village.schema_name])
        assert cursor.fetchone()[0] > 20


def test_accounts_are_deactivated_not_deleted(network):
    user = network.user("leaver", network.village, Role.CLERK)
    with pytest.raises(ProtectedError, match="停用"):
        user.delete()
    with pytest.raises(ProtectedError, match="停用"):
        get_user_model().objects.filter(pk=user.pk).delete()
    assert get_user_model().objects.filter(pk=user.pk, is_active=True).exists()
