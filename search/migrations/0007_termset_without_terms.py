"""The term sets' `terms` column and its GIN index: no search reads them since
the scores come from search_termposting (0006), so they are no longer written."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("search", "0006_term_postings")]
    operations = [
        migrations.RemoveIndex(model_name="searchtermset", name="search_termset_terms_gin"),
        migrations.RemoveField(model_name="searchtermset", name="terms"),
    ]
