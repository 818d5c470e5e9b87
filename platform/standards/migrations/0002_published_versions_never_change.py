"""A published standard version never changes: the database itself refuses an
UPDATE or DELETE of a published row, whatever code (or person at psql) tries."""
from django.db import migrations

FORWARD = """
CREATE FUNCTION standards_version_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '已发布的标准版本不能修改或删除 (standard version % is published)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER standards_version_frozen
    BEFORE UPDATE OR DELETE ON standards_standarditemversion
    FOR EACH ROW WHEN (OLD.status = 'published')
    EXECUTE FUNCTION standards_version_frozen();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS standards_version_frozen ON standards_standarditemversion;
DROP FUNCTION IF EXISTS standards_version_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
