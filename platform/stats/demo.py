"""The demo's statistics: the rollups rebuilt from the events the demo's cases
and ratings wrote (cases.demo, online.demo run first), so 统计分析 and /figures/
show figures at once instead of after the first beat run."""
from __future__ import annotations

from . import rollup


def load_demo_statistics(progress=print) -> int:
    rows = rollup.rebuild()
    progress(f"统计汇总：{rows} 行（按日、月、年，各服务点及其上级）")
    return rows
