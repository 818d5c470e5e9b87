"""Synonym groups get an owning authority, as standard items do
(standards/authority.py): each county edits its own table; a query at a point
is expanded with its county's groups and the shared ones.

Existing groups: in a cell with exactly one county they become that county's
(its central admins keep editing them as before); otherwise they stay shared
(read-only for the counties, changed by the operator with `manage.py synonyms`)."""
from django.db import migrations, models


def assign_existing(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    ServicePoint = apps.get_model("tenants", "ServicePoint")
    counties = list(ServicePoint.objects.filter(tier="county").exclude(schema_name="public")
                    .values_list("region_code", flat=True))
    if len(counties) == 1:
        SynonymGroup.objects.update(authority=counties[0][:6])


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_seed_synonyms"),
        ("tenants", "0002_schematemplate_partial_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="synonymgroup",
            name="authority",
            field=models.CharField(blank=True, db_index=True, default="", max_length=6, verbose_name="所属区划"),
        ),
        migrations.AddConstraint(
            model_name="synonymgroup",
            constraint=models.CheckConstraint(condition=models.Q(("authority__regex", "^([0-9]{4}|[0-9]{6})?$")),
                                              name="synonym_group_authority_region_code"),
        ),
        migrations.RunPython(assign_existing, migrations.RunPython.noop),
    ]
