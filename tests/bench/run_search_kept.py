"""Run bench_search on servers of its own (ports and data folder shifted by
YIMEN_PORT_OFFSET, so it runs beside another benchmark), keeping the database
afterwards: with BENCH_SEARCH_REUSE=1 a second run measures the load again on
the same network without building it (1,000 points take ~25 minutes to build).

    YIMEN_PORT_OFFSET=32 .venv/bin/python -m tests.bench.run_search_kept            # build and measure
    YIMEN_PORT_OFFSET=32 BENCH_SEARCH_REUSE=1 .venv/bin/python -m tests.bench.run_search_kept
"""
from __future__ import annotations

import os
import subprocess
import sys

from tests.bench.common import ROOT


def main() -> int:
    sys.path.insert(0, str(ROOT / "infra"))
    from local.commands import PYTHON, Services, _env

    offset = int(os.environ.get("YIMEN_PORT_OFFSET", "0") or 0)
    services = Services(f"bench-{offset}", {"pg": 54349 + offset, "redis": 63809 + offset, "es": 9260 + offset})
    try:
        env = services.start("yimen_bench", fresh=os.environ.get("BENCH_SEARCH_REUSE") != "1")
        env["DJANGO_SETTINGS_MODULE"] = "yimen.settings.bench"
        return subprocess.run([PYTHON, "-m", "tests.bench.bench_search"], env=_env(env), cwd=ROOT).returncode
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
