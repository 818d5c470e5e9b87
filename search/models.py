"""Search data in the public schema.

`SearchDocument` is the PostgreSQL backend's index and the source every
Elasticsearch write is made from: one row per live guide of every point
(id "<schema>:<code>", which cannot collide across schemas). `IndexChange` is
the outbox: a guide that changed is written here in the same transaction as
the change, and the row goes away only once both indexes have it.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from standards import authority
from tenants.scope import PointOwnedQuerySet


class SearchDocumentQuerySet(PointOwnedQuerySet):
    county_field = "county_code"


class SearchDocument(models.Model):
    doc_id = models.CharField(primary_key=True, max_length=120)
    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="+")
    schema_name = models.CharField(max_length=63)
    point_slug = models.CharField(max_length=50)
    tier = models.CharField(max_length=10)
    region_code = models.CharField(max_length=12)
    county_code = models.CharField(max_length=6)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    standard_name = models.CharField(max_length=100)
    department = models.CharField(max_length=50)
    targets = ArrayField(models.CharField(max_length=10), default=list)
    themes = ArrayField(models.CharField(max_length=20), default=list)
    visits = models.PositiveSmallIntegerField()
    online = models.CharField(max_length=10)
    promised_days = models.PositiveIntegerField()
    badges = models.JSONField(default=list)
    url = models.CharField(max_length=200)
    # Its weighted terms (SearchTermSet): the same item at a thousand points is scored once.
    terms_key = models.CharField(max_length=40)
    # Suggestion keys: the name, its pinyin and initials (and the same of aliases).
    suggest_name = ArrayField(models.TextField(), default=list)
    suggest_alias = ArrayField(models.TextField(), default=list)
    suggest_text = models.TextField(default="")  # the keys joined, for the trigram index
    updated_at = models.DateTimeField(auto_now=True)

    objects = SearchDocumentQuerySet.as_manager()  # reads go through tenants.scope

    class Meta:
        indexes = [
            GinIndex(fields=["suggest_text"], name="search_doc_suggest_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["point", "code"], name="search_doc_point_code"),
            # A search joins the matching term sets to the documents of one point or one network.
            models.Index(fields=["point", "terms_key"], name="search_doc_point_terms"),
            models.Index(fields=["county_code", "terms_key"], name="search_doc_county_terms"),
        ]

    def __str__(self):
        return f"{self.doc_id} {self.name}"


class SearchTermSet(models.Model):
    """Term → weight class (search.analysis) of documents, shared by every
    document with exactly these terms (key: SHA-1 of them). A standard item's
    guide has the same terms at every point that did not rename it, so a
    network search scores a few hundred rows, not one per point and item.
    A search reads its weights by term from search_termposting, which
    triggers keep from these rows (migration 0006)."""

    key = models.CharField(primary_key=True, max_length=40)
    weights = models.JSONField()

    def __str__(self):
        return self.key


class IndexChange(models.Model):
    """A guide of `point` whose search documents must be brought up to date."""

    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    # The PostgreSQL document is up to date; only Elasticsearch still waits.
    stored = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)

    objects = PointOwnedQuerySet.as_manager()  # reads go through tenants.scope

    class Meta:
        indexes = [models.Index(fields=["point", "stored"], name="search_change_point")]

    def __str__(self):
        return f"{self.point_id}:{self.code}"


class ElasticIndexState(models.Model):
    """Which physical Elasticsearch indexes receive writes. Normally the one
    behind the alias; while `reindex` builds a new one, both."""

    alias = models.CharField(max_length=100, unique=True)
    write_indexes = ArrayField(models.CharField(max_length=150), default=list)

    def __str__(self):
        return f"{self.alias} → {', '.join(self.write_indexes)}"


class SynonymGroup(models.Model):
    """Words a citizen uses for the same thing (身份证 ~ 居民身份证). A county's
    central admins edit their county's groups; a query at a point holding one
    word also looks for the others of its county's groups and the shared ones."""

    words = ArrayField(models.CharField(max_length=20))
    # Whose table it belongs to, as for standard items (standards/authority.py):
    # a county's 6-digit region code, a prefecture's 4 digits, or "" for the whole cell.
    authority = models.CharField("所属区划", max_length=6, blank=True, default=authority.SHARED, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "同义词组"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(authority__regex=authority.PATTERN),
                                   name="synonym_group_authority_region_code"),
        ]

    def __str__(self):
        return " ~ ".join(self.words)


class SearchLog(models.Model):
    """One search at a point. Digit runs that could be ID or phone numbers are
    masked before the query is stored."""

    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="+")
    query = models.CharField(max_length=100)
    scope = models.CharField(max_length=10)
    total = models.PositiveIntegerField()
    backend = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = PointOwnedQuerySet.as_manager()  # reads go through tenants.scope

    class Meta:
        indexes = [models.Index(fields=["point", "created_at"], name="search_log_point_time")]

    def __str__(self):
        return f"{self.point_id}: {self.query} ({self.total})"


class SearchClick(models.Model):
    point = models.ForeignKey("tenants.ServicePoint", on_delete=models.CASCADE, related_name="+")
    query = models.CharField(max_length=100)
    code = models.CharField(max_length=32)
    rank = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PointOwnedQuerySet.as_manager()  # reads go through tenants.scope

    class Meta:
        indexes = [models.Index(fields=["point", "created_at"], name="search_click_point_time")]

    def __str__(self):
        return f"{self.point_id}: {self.query} → {self.code}"
