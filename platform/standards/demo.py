"""The demo catalogue (standards/demo_data, copied from the shared sample data)."""
from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "demo_data"
CATALOGUE_FILE = DATA / "standard_items.json"
BUNDLES_FILE = DATA / "bundles.json"


def catalogue_records() -> list[dict]:
    return json.loads(CATALOGUE_FILE.read_text("utf-8"))


def load_demo_catalogue(progress=print) -> int:
    """Publish every demo item whose current version differs (idempotent); returns how many changed."""
    from .services import publish_content

    records = catalogue_records()
    changed = 0
    for index, record in enumerate(records, 1):
        changed += publish_content(record, note="演示目录")[1]
        if index % 50 == 0 or index == len(records):
            progress(f"[{index}/{len(records)}] 标准事项")
    return changed
