"""The demo catalogue (standards/demo_data, copied from the shared sample data)."""
from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "demo_data"
CATALOGUE_FILE = DATA / "standard_items.json"
BUNDLES_FILE = DATA / "bundles.json"


def catalogue_records() -> list[dict]:
    return json.loads(CATALOGUE_FILE.read_text("utf-8"))


def load_demo_catalogue(progress=print, owner: str = "") -> int:
    """Publish every demo item whose current version differs (idempotent, all or nothing,
    through the importer); returns how many changed. The items belong to `owner`
    (standards/authority.py): the demo county for the demo, the whole cell ("") for tests."""
    from .import_report import UNCHANGED
    from .importing import import_file

    def step(index: int, total: int, code: str, outcome: str) -> None:
        if index % 50 == 0 or index == total:
            progress(f"[{index}/{total}] 标准事项")

    # Published directly, like the operator's command: it runs from the demo
    # launcher and the tests, never from a request.
    report = import_file(CATALOGUE_FILE, progress=step, note="演示目录", owner=owner, operator="演示目录加载")
    return sum(1 for outcome in report.outcomes.values() if outcome != UNCHANGED)
