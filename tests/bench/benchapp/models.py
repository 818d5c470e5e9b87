"""A tenant app that exists only for the migration benchmark: its second
migration (in migrations_next/) adds one nullable field."""
from django.db import models


class Notice(models.Model):
    title = models.CharField(max_length=100)
    audience = models.CharField(max_length=50, null=True)  # added by migrations_next/0002

    class Meta:
        app_label = "benchapp"
