"""Shared helpers of the benchmarks: Django set-up, timing, printing."""
from __future__ import annotations

import os
import platform as std_platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup_django() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings.bench")
    import django

    django.setup()


def machine() -> str:
    return f"{std_platform.node()} · {os.cpu_count()} cores · Python {std_platform.python_version()}"


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def summary(samples: list[float]) -> str:
    return (f"median {statistics.median(samples):.3f} s, min {min(samples):.3f} s, "
            f"max {max(samples):.3f} s (n={len(samples)})")


LOGS = ROOT / ".data" / "bench" / "logs"


def manage(*args: str, **env: str) -> float:
    """Run manage.py in a fresh process; returns its wall time. Its output goes
    to .data/bench/logs/ (deploy_points prints where its time went)."""
    full_env = {**os.environ, **env,
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])}
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{'-'.join(args)}-{'-'.join(env.values()) or 'current'}.log".replace("/", "_")
    started = time.perf_counter()
    with open(log, "w") as out:
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=full_env, cwd=ROOT,
                       check=True, stdout=out, stderr=subprocess.STDOUT)
    return time.perf_counter() - started
