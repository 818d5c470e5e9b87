"""Case events are append-only: the database refuses UPDATE and DELETE of an
event, whatever code (or person at psql) tries, as it does for published
standard versions. `manage.py verify_case_history` catches what a superuser
does with the trigger disabled."""
from django.db import migrations

FORWARD = """
CREATE FUNCTION cases_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '办件事件只能追加，不能修改或删除 (case event % is append-only)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER cases_event_append_only
    BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_event_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS cases_event_append_only ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
