"""Standard items get an owning authority (standards/authority.py): a county,
a prefecture, or "" for the whole cell.

Existing items: in a cell with exactly one county (the demo, every cell until
now) they become that county's, so its central admins keep editing them as
before; in a cell with several counties they become shared, so no county
changes what the others use (the operator can import them per county)."""
from django.db import migrations, models


def assign_existing(apps, schema_editor):
    StandardItem = apps.get_model("standards", "StandardItem")
    ServicePoint = apps.get_model("tenants", "ServicePoint")
    counties = list(ServicePoint.objects.filter(tier="county").exclude(schema_name="public")
                    .values_list("region_code", flat=True))
    if len(counties) == 1:
        StandardItem.objects.update(authority=counties[0][:6])


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0002_published_versions_never_change"),
        ("tenants", "0002_schematemplate_partial_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="standarditem",
            name="authority",
            field=models.CharField(blank=True, db_index=True, default="", max_length=6, verbose_name="所属区划"),
        ),
        migrations.AddConstraint(
            model_name="standarditem",
            constraint=models.CheckConstraint(condition=models.Q(("authority__regex", "^([0-9]{4}|[0-9]{6})?$")),
                                              name="standard_item_authority_region_code"),
        ),
        migrations.RunPython(assign_existing, migrations.RunPython.noop),
    ]
