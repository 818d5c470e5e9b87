from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("benchapp", "0001_initial")]
    operations = [
        migrations.AddField(model_name="notice", name="audience",
                            field=models.CharField(max_length=50, null=True)),
    ]
