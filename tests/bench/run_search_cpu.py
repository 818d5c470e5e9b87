"""The app's CPU per cold search in process (tests/bench/search_cpu.py) on the
kept network of run_search_kept (same YIMEN_PORT_OFFSET; build it first), for
one checkout or two alternated: BENCH_CPU_CHECKOUTS="/tmp/before,." measures
a copy of an older commit and this checkout in turn, BENCH_CPU_ROUNDS times
(2), so that the load of the moment weighs on both alike.

    YIMEN_PORT_OFFSET=400 BENCH_SEARCH_POINTS=30 BENCH_SEARCH_BACKENDS=postgres \\
        .venv/bin/python -m tests.bench.run_search_kept                # once: the network
    git archive a81aa21 | (mkdir -p /tmp/before && tar -x -C /tmp/before)
    YIMEN_PORT_OFFSET=400 BENCH_CPU_CHECKOUTS=/tmp/before,. .venv/bin/python -m tests.bench.run_search_cpu

Another in-process benchmark of tests/bench runs the same way when named:
`… run_search_cpu search_popular.py`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.bench.common import ROOT


def main() -> int:
    sys.path.insert(0, str(ROOT / "infra"))
    from local.commands import PYTHON, Services, _env

    offset = int(os.environ.get("YIMEN_PORT_OFFSET", "0") or 0)
    checkouts = [Path(p).resolve() for p in os.environ.get("BENCH_CPU_CHECKOUTS", ".").split(",")]
    rounds = int(os.environ.get("BENCH_CPU_ROUNDS", "2"))
    script = sys.argv[1] if len(sys.argv) > 1 else "search_cpu.py"
    services = Services(f"bench-{offset}", {"pg": 54349 + offset, "redis": 63809 + offset, "es": 9260 + offset})
    code = 0
    try:
        env = services.start("yimen_bench", fresh=False)
        env["DJANGO_SETTINGS_MODULE"] = "yimen.settings.bench"
        for _ in range(rounds):
            for checkout in checkouts:
                # Run from the checkout: its packages come first on the path (Celery adds the
                # working directory too).
                code |= subprocess.run([PYTHON, str(Path(__file__).with_name(script))],
                                       env={**_env(env), "BENCH_CPU_CHECKOUT": str(checkout)},
                                       cwd=checkout).returncode
        return code
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
