"""What an import of standard items found and did: the outcome of each item,
the problems of the file by row, code and element (in Chinese), and the
exception that carries them when nothing was imported. Shared by the file
readers (import_readers.py), the row checks (import_checks.py) and the import
itself (importing.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import elements
from .models import ImportBatch

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
OUTCOME_LABELS = {NEW: "新增", CHANGED: "新版本", UNCHANGED: "未变"}


@dataclass
class Problem:
    row: int | None
    code: str
    field: str
    message: str
    where: str = "第 {n} 条"

    @property
    def label(self) -> str:
        return elements.LABELS.get(self.field, {"record": "记录", "file": "文件"}.get(self.field, self.field))

    @property
    def location(self) -> str:
        return self.where.format(n=self.row) if self.row is not None else "文件"

    def __str__(self) -> str:
        code = f"（{self.code}）" if self.code else ""
        return f"{self.location}{code} {self.label}：{self.message}"


@dataclass
class ImportReport:
    total: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # code → NEW / CHANGED / UNCHANGED
    submitted: bool = False  # for review (the admin), not published (the command)
    batch: ImportBatch | None = None  # what the file left, when it changed anything

    def codes(self, outcome: str) -> list[str]:
        return [code for code, o in self.outcomes.items() if o == outcome]

    @property
    def counts(self) -> dict[str, int]:
        return {o: len(self.codes(o)) for o in (NEW, CHANGED, UNCHANGED)}

    def summary(self) -> str:
        c = self.counts
        if self.submitted and not self.dry_run:
            return (f"共 {self.total} 项：新增 {c[NEW]} 项、新版本 {c[CHANGED]} 项已提交审核，"
                    f"{c[UNCHANGED]} 项未变。")
        verb = "将" if self.dry_run else "已"
        return (f"共 {self.total} 项：{verb}新增 {c[NEW]} 项，{verb}发布新版本 {c[CHANGED]} 项，"
                f"{c[UNCHANGED]} 项未变。")

    def problem_text(self) -> str:
        head = f"发现 {len(self.problems)} 个问题，未导入任何事项："
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ImportRejected(Exception):
    """The file has problems; nothing was imported. `report.problems` lists them."""

    def __init__(self, report: ImportReport):
        super().__init__(report.problem_text())
        self.report = report



def rejected_file(message: str) -> ImportRejected:
    """The file as a whole cannot be read: one problem, named "文件"."""
    return ImportRejected(ImportReport(problems=[Problem(None, "", "file", message)]))
