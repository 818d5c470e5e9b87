"""Worker recycling under search load (issue 16): gunicorn replaces a worker
after `max_requests` answers, and a new worker spends seconds of CPU starting
(Django's imports, then the search vocabulary, built before its first request
by yimen.gunicorn_hooks). A busy worker answers 60-120 searches a second on
2 cores, so the 2,000 of the first production config replaced each every
15-35 s. This runs the cold point mix (tests/bench/search_cold.py, none
repeated) against gunicorn as bench_search runs it (2 workers × 4 threads,
wrk 2 threads × 16 connections), once with infra/gunicorn.conf.py's
max_requests and jitter and once with 2,000 / 200, in turn, ROUNDS times, on
the kept network of run_search_kept (same YIMEN_PORT_OFFSET; build it first):

    YIMEN_PORT_OFFSET=32 BENCH_CPU_ROUNDS=1 .venv/bin/python -m tests.bench.run_search_cpu search_recycling.py
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_CPU_CHECKOUT") or Path(__file__).resolve().parents[2])
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings.bench")

ROUNDS = int(os.environ.get("BENCH_RECYCLING_ROUNDS", "2"))
DURATION = os.environ.get("BENCH_RECYCLING_DURATION", "30s")
BEFORE = (2000, 200)  # the production config's max_requests and jitter before issue 16's fifth pass


def production_setting() -> tuple[int, int]:
    text = (ROOT / "infra" / "gunicorn.conf.py").read_text()
    most, jitter = (int(re.search(rf"^{name} = (\d+)", text, re.M).group(1))
                    for name in ("max_requests", "max_requests_jitter"))
    return most, jitter


def main() -> int:
    from tests.bench.common import machine, setup_django

    setup_django()
    from tenants.models import ServicePoint
    from tests.bench import bench_search as b
    from tests.bench.search_cold import cold_queries

    county = ServicePoint.objects.get(slug="bench-county")
    cold = iter(cold_queries())
    wrk = b.ensure_wrk()
    settings = {"production config": production_setting(), "before": BEFORE}
    print(f"worker recycling: cold point searches on {county.primary_host}, {DURATION} per run; {machine()}",
          flush=True)
    results: dict[str, list[dict]] = {name: [] for name in settings}
    for round_ in range(1, ROUNDS + 1):
        for name, (most, jitter) in settings.items():
            server = b.Server("recycling", county.primary_host, b.paths_for("/api/search", "point", ["营业执照"])[0],
                              root=ROOT, GUNICORN_CMD_ARGS=f"--max-requests {most} --max-requests-jitter {jitter}")
            try:
                def script(label: str) -> Path:
                    return b.lua_script(f"recycling-{label}", b.paths_for(
                        "/api/search", "point", [next(cold) for _ in range(b.COLD_SLICE)]), cold=True)

                b.wrk_run(wrk, server, script("warm-up"), "5s")
                b.drain(server, logged=True)
                r = b.wrk_run(wrk, server, script("run"), DURATION)
                b.drain(server, logged=True)
            finally:
                server.stop()
            results[name].append(r)
            print(f"  round {round_}, {name} (max_requests {most}, jitter {jitter}): {r['rps']:.0f} req/s · "
                  f"p50 {r['p50']:.0f} ms · p95 {r['p95']:.0f} ms · p99 {r['p99']:.0f} ms · "
                  f"app CPU per answer {r['app_cpu_ms']:.2f} ms · load {b.load_average()}", flush=True)
    now, before = results["production config"], results["before"]
    rate = sum(r["rps"] for r in now) / sum(r["rps"] for r in before)
    p95 = sum(r["p95"] for r in before) / sum(r["p95"] for r in now)
    print(f"=== production config ÷ before: {rate:.2f}× the answers a second, p95 {p95:.1f}× shorter ===", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
