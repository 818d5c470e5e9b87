"""A tenant app that exists only for the migration benchmark: its second
migration (in migrations_next/) adds one nullable field."""
from django.db import models


class Notice(models.Model):
    title = models.CharField(max_length=100)
    # Added by migrations_next/0002: the benchmark's "one new nullable field".
    audience = models.CharField(max_length=50, null=True)  # noqa: DJ001

    class Meta:
        app_label = "benchapp"

    def __str__(self) -> str:
        return self.title
