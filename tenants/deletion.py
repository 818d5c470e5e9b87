"""delete_point: a point's schema, its shared rows and its files, gone.

Beside onboarding (creation) and tenants.archive (export and import): the
point's whole lifecycle lives in tenants. Search keeps documents of the point
that tenants may not touch (it sits below search, docs/architecture.md); it
connects to tenants.hooks.point_deleting (inside the transaction: it takes
its per-point lock, so no indexing task writes documents of a point whose
deletion is under way) and point_deleted (after the commit: its Elasticsearch
documents go; its PostgreSQL rows went with the point's row).
"""
from __future__ import annotations

import shutil

from django.conf import settings
from django.db import connection, transaction
from django.db.models import ProtectedError
from django_tenants.utils import schema_context

from .archive.errors import ArchiveError
from .archive.format import media_dir, quote
from .archive.shared_rows import delete_shared_rows
from .hooks import point_deleted, point_deleting
from .models import ServicePoint


def delete_point(slug: str, *, log=print) -> None:
    """Drop the point's schema, its shared rows and its files.

    Refused while anything else still refers to the point (points below it,
    and any shared row Django protects): those must go first.
    """
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        point = ServicePoint.objects.filter(slug=slug).first()
        if point is None:
            raise ArchiveError(f"服务点“{slug}”不存在（no such point）")
        schema = point.schema_name
        children = list(point.children.values_list("name", flat=True)[:5])
        if children:
            raise ArchiveError(f"“{point.name}”还有下级服务点（{'、'.join(children)}），不能删除。")
        try:
            with transaction.atomic():
                point_deleting.send(sender=ServicePoint, point=point)
                # Django's cascade from auth groups reaches Wagtail's group
                # permission tables, which exist only in point schemas: run it
                # with the point's schema (then public) on the search path.
                with schema_context(schema):
                    delete_shared_rows(point.pk, raw=False)
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE")
        except ProtectedError as exc:
            names = "、".join(sorted({str(type(o)._meta.verbose_name) for o in exc.protected_objects}))
            raise ArchiveError(f"“{point.name}”仍被其他数据引用（{names}），不能删除。") from exc
    shutil.rmtree(media_dir(schema), ignore_errors=True)
    point_deleted.send(sender=ServicePoint, point=point)
    log(f"[delete] 已删除 {point.name}（{schema}）：schema、共享数据、文件和搜索文档。")
