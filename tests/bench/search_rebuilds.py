"""Searches while the catalogue changes (issue 16): every change of the
catalogue or the synonyms makes each worker rebuild its search vocabulary
(3-5 s of CPU, more under load). Before the fifth pass all of a worker's
searches queued behind that build; now they answer with the vocabulary
before while a thread of its own builds the new one.

The cold point mix (tests/bench/search_cold.py) runs against gunicorn as
bench_search runs it (2 workers × 4 threads, wrk 2 threads × 16 connections)
for DURATION, while this script commits a synonym group every CHANGE_EVERY
seconds (and removes it at the end), for this checkout's code and for
BENCH_REBUILDS_BASELINE's (a `git archive` of the commit before), in turn,
ROUNDS times, on the kept network of run_search_kept (same YIMEN_PORT_OFFSET):

    git archive 652222c | (mkdir -p /tmp/before && tar -x -C /tmp/before)
    YIMEN_PORT_OFFSET=32 BENCH_CPU_ROUNDS=1 BENCH_REBUILDS_BASELINE=/tmp/before \\
        .venv/bin/python -m tests.bench.run_search_cpu search_rebuilds.py
"""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_CPU_CHECKOUT") or Path(__file__).resolve().parents[2])
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings.bench")

ROUNDS = int(os.environ.get("BENCH_REBUILDS_ROUNDS", "2"))
DURATION = float(os.environ.get("BENCH_REBUILDS_SECONDS", "40"))
CHANGE_EVERY = float(os.environ.get("BENCH_REBUILDS_CHANGE_EVERY", "10"))


def main() -> int:
    from tests.bench.common import machine, setup_django

    setup_django()
    from search.models import SynonymGroup
    from tenants.models import ServicePoint
    from tests.bench import bench_search as b
    from tests.bench.search_cold import cold_queries

    baseline = os.environ.get("BENCH_REBUILDS_BASELINE")
    if not baseline:
        sys.exit("BENCH_REBUILDS_BASELINE=<a checkout of the commit before> is needed")
    county = ServicePoint.objects.get(slug="bench-county")
    cold = iter(cold_queries())
    wrk = b.ensure_wrk()
    codes = {"now": ROOT, "before": Path(baseline).resolve()}
    print(f"searches while the catalogue changes: cold point mix on {county.primary_host}, {DURATION:.0f} s a run, "
          f"a synonym group committed every {CHANGE_EVERY:.0f} s; {machine()}", flush=True)
    results: dict[str, list[dict]] = {name: [] for name in codes}
    made: list[int] = []
    try:
        for round_ in range(1, ROUNDS + 1):
            for name, root in codes.items():
                server = b.Server(f"rebuilds-{name}", county.primary_host,
                                  b.paths_for("/api/search", "point", ["营业执照"])[0], root=root)
                try:
                    def script(label: str) -> Path:
                        return b.lua_script(f"rebuilds-{label}", b.paths_for(
                            "/api/search", "point", [next(cold) for _ in range(b.COLD_SLICE)]), cold=True)

                    b.wrk_run(wrk, server, script("warm-up"), "5s")
                    b.drain(server, logged=True)
                    run = script("run")
                    out: dict = {}
                    load = threading.Thread(target=lambda out=out, server=server, run=run: out.update(
                        b.wrk_run(wrk, server, run, f"{DURATION:.0f}s")))
                    load.start()
                    changes = 0
                    while load.is_alive():
                        load.join(CHANGE_EVERY)
                        if load.is_alive():
                            # A new stamp (the count and the last change of the synonym groups).
                            group = SynonymGroup.objects.create(words=[f"基准词{len(made)}", "结婚登记"], authority="")
                            made.append(group.pk)
                            changes += 1
                    b.drain(server, logged=True)
                finally:
                    server.stop()
                out["changes"] = changes
                results[name].append(out)
                print(f"  round {round_}, {name}: {out['rps']:.0f} req/s · p50 {out['p50']:.0f} ms · "
                      f"p95 {out['p95']:.0f} ms · p99 {out['p99']:.0f} ms · {changes} changes · "
                      f"load {b.load_average()}", flush=True)
    finally:
        SynonymGroup.objects.filter(pk__in=made).delete()
    now, before = results["now"], results["before"]
    for pct in ("p95", "p99"):
        ratio = sum(r[pct] for r in before) / sum(r[pct] for r in now)
        print(f"=== {pct}: before ÷ now {ratio:.1f}× ===", flush=True)
    rate = sum(r["rps"] for r in now) / sum(r["rps"] for r in before)
    print(f"=== answers a second: now ÷ before {rate:.2f}× ===", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
