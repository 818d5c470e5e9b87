"""The synonym groups a county starts with (search/synonym_seed.py); central admins edit them afterwards."""
from django.db import migrations


def seed(apps, schema_editor):
    from search.synonym_seed import SYNONYM_GROUPS

    SynonymGroup = apps.get_model("search", "SynonymGroup")
    if not SynonymGroup.objects.exists():
        SynonymGroup.objects.bulk_create([SynonymGroup(words=list(group)) for group in SYNONYM_GROUPS])


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
