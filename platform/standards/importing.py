"""Import standard items from the catalogue's JSON or the exporter's Excel.

All or nothing: every row is read (`import_readers.py`, within limits) and
checked first (`import_checks.py`: `elements.normalize`, duplicate codes, items
with an unpublished draft in the way); if any row has a problem, the report
(`import_report.py`) lists each one by row, code and element in Chinese and
nothing is imported. Otherwise every changed item is imported in one
transaction; an item whose current version already says the same is left
alone (so importing twice changes nothing the second time). From the admin
the new versions wait for a second central admin as one batch
(`standards/batches.py`); only the operator's command publishes directly.

    report = import_file("items.xlsx", operator="张三", progress=callback)  # ImportRejected on bad rows
    report = import_file("items.json", submitted_by=user)                   # a batch for review
    report = import_file("items.json", dry_run=True)                        # what would change
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from . import authority
from .import_checks import check
from .import_readers import Row, read_file
from .import_report import CHANGED, NEW, UNCHANGED, ImportRejected, ImportReport, Problem
from .models import StandardItem

Progress = Callable[[int, int, str, str], None]  # (index, total, code, outcome)


def outcome_of(content: dict, items: dict[str, StandardItem]) -> str:
    item = items.get(content["code"])
    if item is None or item.current is None:
        return NEW
    return UNCHANGED if item.current.content == content else CHANGED


def import_rows(rows: list[Row], *, submitted_by=None, operator: str = "", dry_run: bool = False,
                progress: Progress | None = None, note: str = "导入", owner: str = authority.SHARED,
                file_name: str = "") -> ImportReport:
    """Check every row, then import every changed item in one transaction.
    New items belong to `owner` (standards/authority.py); existing ones must.

    Who imports decides what happens (one of the two is required):
    - `submitted_by`, a central admin in the admin: every changed item becomes a
      version waiting for review in one ImportBatch; nothing is published until
      another central admin approves the batch (standards/batches.py);
    - `operator`, whoever ran the import_standards command (or the demo): the
      versions are published directly, on a batch that names the operator.

    Raises ImportRejected (nothing imported) when any row has a problem."""
    from . import batches, services

    report = ImportReport(total=len(rows), dry_run=dry_run, submitted=submitted_by is not None)
    if not dry_run and (submitted_by is None) == (not operator):
        raise ValueError("import_rows needs submitted_by (for review) or operator (direct), not both")
    good, report.problems = check(rows, owner)
    if report.problems:
        raise ImportRejected(report)
    items = {i.code: i for i in StandardItem.objects.filter(code__in=[c["code"] for _, c in good])
             .select_related("current")}
    total = len(good)
    if dry_run:
        for index, (_, content) in enumerate(good, 1):
            report.outcomes[content["code"]] = outcome = outcome_of(content, items)
            if progress:
                progress(index, total, content["code"], outcome)
        return report
    row = batch = None
    try:
        with transaction.atomic():
            for index, (row, content) in enumerate(good, 1):  # noqa: B007 (row names the failing row below)
                outcome = outcome_of(content, items)
                if outcome != UNCHANGED:
                    if batch is None:  # only a file that changes something leaves a batch
                        batch = batches.start(file_name=file_name, note=note, owner=owner,
                                              submitted_by=submitted_by, operator=operator)
                    if submitted_by is not None:
                        changed = batches.submit_content(batch, content) is not None
                    else:
                        _, changed = services.publish_content(content, None, note=note, owner=owner, batch=batch)
                    outcome = outcome if changed else UNCHANGED
                report.outcomes[content["code"]] = outcome
                if progress:
                    progress(index, total, content["code"], outcome)
            if batch is not None:
                batch.outcomes = {code: o for code, o in report.outcomes.items() if o != UNCHANGED}
                batch.save(update_fields=["outcomes"])
    except services.StandardsError as exc:  # raced by an admin between check and import
        report.outcomes.clear()
        report.problems = [Problem(row.number if row else None, row.code if row else "", "code", str(exc),
                                   where=row.where if row else "第 {n} 条")]
        raise ImportRejected(report) from None
    report.batch = batch
    return report


def import_file(path_or_file, name: str | None = None, **options) -> ImportReport:
    options.setdefault("file_name", Path(name or str(getattr(path_or_file, "name", path_or_file))).name)
    return import_rows(read_file(path_or_file, name), **options)
