"""Grant events are append-only: the database refuses UPDATE and DELETE of an
event (as for case events), so revoking a grant keeps its whole history."""
from django.db import migrations

FORWARD = """
CREATE FUNCTION powers_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '赋权记录只能追加，不能修改或删除 (grant event % is append-only)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER powers_event_append_only
    BEFORE UPDATE OR DELETE ON powers_grantevent
    FOR EACH ROW EXECUTE FUNCTION powers_event_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS powers_event_append_only ON powers_grantevent;
DROP FUNCTION IF EXISTS powers_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("powers", "0001_grants")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
