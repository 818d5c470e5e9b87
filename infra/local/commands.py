"""The subcommands of infra/yimen.py, run inside the repo's venv.

  demo [--elasticsearch]  embedded PostgreSQL + Redis, migrate, build the demo
                          network, serve it on localhost:8000 with a Celery
                          worker and beat; Ctrl-C stops everything it started.
  test [pytest args]      the whole suite against real servers of its own, as
                          two shards at once; with arguments, pytest with them.
  bench [names]           the benchmarks under tests/bench (not part of `test`).
  manage ARGS             manage.py against the demo's servers.
"""
from __future__ import annotations

import fnmatch
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .postgres import EmbeddedPostgres
from .redis import LocalRedis

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data"
CACHE = ROOT / ".cache"
PYTHON = sys.executable

# Ports: the demo's and the tests' servers can run side by side.
DEMO = {"pg": 54329, "redis": 63790, "es": 9200, "web": 8000}
# YIMEN_PORT_OFFSET lets several test runs share a machine (e.g. two checkouts):
# each gets its own ports and its own data folder.
_OFFSET = int(os.environ.get("YIMEN_PORT_OFFSET", "0") or 0)


def _test_ports(offset: int) -> dict[str, int]:
    return {"pg": 54339 + offset, "redis": 63799 + offset, "es": 9250 + offset}


def _test_data(offset: int) -> str:
    return "test" if not offset else f"test-{offset}"


# `test` without arguments runs the suite as two shards at once, each a pytest
# process against servers of its own (PostgreSQL, Redis, an Elasticsearch node,
# a Celery worker), its ports and data folder shifted by SHARD_PORTS (20: clear of
# the bench's ports, +10, and of each node's transport port, its HTTP port + 100).
# As one process the suite used about one core of the machine's two (a fresh
# clone's run: 29.4 minutes of CPU in 29.2 minutes); the second shard uses the other.
# The second shard takes the browser tests (so one Chromium per run) and the long,
# self-contained tests named here; the first shard takes every other file.
SECOND_SHARD = ("test_browser*.py", "test_cases_delivery.py", "test_isolation_walk.py",
                "test_search_elasticsearch.py", "test_supervision_kill.py", "test_propagation.py",
                "test_demo_network.py", "test_local_commands.py", "test_infra_files.py")
SHARD_PORTS = 20


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "platform")])
    env.update(extra)
    return env


class Services:
    """The servers one command starts, stopped again in reverse order."""

    def __init__(self, name: str, ports: dict[str, int]):
        self.pg = EmbeddedPostgres(DATA / name / "pg", ports["pg"])
        self.redis = LocalRedis(DATA / name / "redis", ports["redis"])
        self.es = None
        self.ports = ports
        self.started: list = []

    def start(self, database: str, *, fresh: bool, elasticsearch: bool = False) -> dict[str, str]:
        print("[yimen] 启动 PostgreSQL …", flush=True)
        self.pg.start()
        self.started.append(self.pg)
        self.pg.ensure_database(database, fresh=fresh)
        print("[yimen] 启动 Redis …", flush=True)
        self.redis.start()
        self.started.append(self.redis)
        env = {
            "DATABASE_URL": self.pg.url(database),
            "CELERY_BROKER_URL": self.redis.url(0),
            "CELERY_RESULT_BACKEND": self.redis.url(0),
            "CACHE_URL": self.redis.url(1),
        }
        if elasticsearch:
            from .elasticsearch import LocalElasticsearch

            print("[yimen] 启动 Elasticsearch …", flush=True)
            self.es = LocalElasticsearch(CACHE / "elasticsearch", DATA / "es" / str(self.ports["es"]),
                                         self.ports["es"])
            self.es.start()
            self.started.append(self.es)
            env["ELASTICSEARCH_URL"] = self.es.url()
        return env

    def stop(self) -> None:
        for server in reversed(self.started):
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                print(f"[yimen] 停止 {type(server).__name__} 时出错：{exc}", file=sys.stderr)
        self.started.clear()


def manage(env: dict[str, str], *args: str, check: bool = True) -> int:
    return subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=_env(env), cwd=ROOT,
                          check=check).returncode


def demo(args: list[str]) -> int:
    services = Services("demo", DEMO)
    children: list[subprocess.Popen] = []
    stopping = []
    # Ctrl-C reaches the children too (same process group); we only note it
    # and stop whatever is still running, servers last.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    try:
        env = services.start("yimen", fresh="--reset" in args, elasticsearch="--elasticsearch" in args)
        env["DEBUG"] = "1"
        env["YIMEN_DEMO"] = "1"  # load_demo_network refuses to make its public-password accounts otherwise
        manage(env, "deploy_points")  # migrations of public and every point, template
        manage(env, "load_demo_network")
        manage(env, "reindex", "--if-empty")  # a demo database from before search: build its documents once
        port = str(DEMO["web"])
        commands = {
            "web": [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            "worker": [PYTHON, "-m", "celery", "-A", "yimen", "worker", "-l", "warning",
                       "--concurrency", "2", "-n", "demo@%h"],
            "beat": [PYTHON, "-m", "celery", "-A", "yimen", "beat", "-l", "warning",
                     "-s", str(DATA / "demo" / "celerybeat-schedule")],
        }
        for command in commands.values():
            children.append(subprocess.Popen(command, env=_env(env), cwd=ROOT))
        manage(env, "demo_summary", f"--port={port}")
        print("\n[yimen] 全部启动。按 Ctrl-C 停止。", flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        if stopping:
            print("\n[yimen] 正在停止 …", flush=True)
            return 0
        print("[yimen] 有进程意外退出，正在停止其他进程。", file=sys.stderr)
        return 1
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        services.stop()
        print("[yimen] 已全部停止。", flush=True)


def ensure_chromium() -> None:
    """Browser tests drive Debian's chromium (no browser download)."""
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0:
        print("[yimen] 需要 Debian 的 chromium：sudo apt-get install chromium", file=sys.stderr)
        return
    print("[yimen] 安装 Debian 软件包 chromium（浏览器测试用）…", flush=True)
    subprocess.run(["apt-get", "update", "-q"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                    "chromium", "fonts-noto-cjk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def _shards() -> list[list[str]]:
    files = sorted((ROOT / "tests").glob("test_*.py"))
    second = []
    for pattern in SECOND_SHARD:
        matched = [f for f in files if fnmatch.fnmatch(f.name, pattern)]
        if not matched:  # a file renamed or removed: the list must follow
            raise SystemExit(f"[yimen] SECOND_SHARD 的 {pattern} 不再对应 tests/ 下任何文件")
        second += matched
    return [[str(f.relative_to(ROOT)) for f in files if f not in second],
            [str(f.relative_to(ROOT)) for f in second]]


class _Shard(threading.Thread):
    """One pytest process against servers of its own; with a label, its output
    lines are passed on prefixed by it (two shards write to one terminal)."""

    def __init__(self, label: str | None, offset: int, args: list[str], ready: threading.Event,
                 failed: list[BaseException]):
        super().__init__(daemon=True)
        self.label, self.offset, self.args, self.ready, self.failed = label, offset, args, ready, failed
        self.code: int | None = None
        self.summary = ""  # pytest's last "=== … ===" line

    def run(self) -> None:
        services = Services(_test_data(self.offset), _test_ports(self.offset))
        try:
            env = services.start("yimen_test", fresh=True)
            self.ready.wait()
            if self.failed:  # the browser did not install: test() raises its error
                return
            env.update({
                "DJANGO_SETTINGS_MODULE": "yimen.settings.test",
                "YIMEN_TEST_ES_PORT": str(_test_ports(self.offset)["es"]),
                "YIMEN_ES_CACHE": str(CACHE / "elasticsearch"),
                "YIMEN_TEST_RUN": _test_data(self.offset),
                "PYTHONUNBUFFERED": "1",  # progress as it happens, through the pipe too
            })
            command = [PYTHON, "-m", "pytest", *self.args]
            if self.label is None:
                self.code = subprocess.run(command, env=_env(env), cwd=ROOT).returncode
                return
            process = subprocess.Popen(command, env=_env(env), cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, errors="replace")
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("="):
                    self.summary = line.strip()
                print(f"[{self.label}] {line}", end="", flush=True)
            self.code = process.wait()
        except BaseException as exc:  # reported with the shard's result
            print(f"[yimen] 第 {self.label or 1} 组未能运行：{exc!r}", file=sys.stderr, flush=True)
            self.code = 1
        finally:
            services.stop()


def test(args: list[str]) -> int:
    # Debian's chromium (only on a machine without it) installs while the servers start.
    failed: list[BaseException] = []
    ready = threading.Event()

    def install_browser() -> None:
        try:
            ensure_chromium()
        except BaseException as exc:  # raised below, in this thread
            failed.append(exc)
        finally:
            ready.set()

    threading.Thread(target=install_browser, daemon=True).start()
    if args:  # a chosen part of the suite: one process, its output as pytest writes it
        shards = [_Shard(None, _OFFSET, args, ready, failed)]
    else:
        first, second = _shards()
        print(f"[yimen] 运行测试：分两组同时运行，各用自己的服务器（第 1 组 {len(first)} 个文件，"
              f"第 2 组 {len(second)} 个文件；输出行首标 [1] / [2]）…", flush=True)
        shards = [_Shard("1", _OFFSET, first, ready, failed),
                  _Shard("2", _OFFSET + SHARD_PORTS, second, ready, failed)]
    for shard in shards:
        shard.start()
    for shard in shards:
        while shard.is_alive():
            try:
                shard.join(0.5)
            except KeyboardInterrupt:  # pytest gets it too (same process group); the shards stop their servers
                pass
    if failed:
        raise failed[0]
    if len(shards) > 1:
        for shard in shards:
            print(f"[yimen] 第 {shard.label} 组：{shard.summary or '没有结果'}（退出码 {shard.code}）", flush=True)
    return max(shard.code if shard.code is not None else 1 for shard in shards)


def bench(args: list[str]) -> int:
    # Benchmarks honour YIMEN_PORT_OFFSET too: two benches at once must not share
    # (and drop) one database.
    services = Services("bench" if not _OFFSET else f"bench-{_OFFSET}",
                        {"pg": 54349 + _OFFSET, "redis": 63809 + _OFFSET, "es": 9260 + _OFFSET})
    try:
        env = services.start("yimen_bench", fresh=True)
        env["DJANGO_SETTINGS_MODULE"] = "yimen.settings.bench"
        names = args or sorted(p.stem for p in (ROOT / "tests" / "bench").glob("bench_*.py"))
        code = 0
        for index, name in enumerate(names):
            if index:  # each benchmark starts from an empty database
                services.pg.ensure_database("yimen_bench", fresh=True)
            print(f"\n[yimen] 基准测试 {name}", flush=True)
            module = f"tests.bench.{name.removesuffix('.py')}"
            code |= subprocess.run([PYTHON, "-m", module], env=_env(env), cwd=ROOT).returncode
        return code
    finally:
        services.stop()


def run(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return demo(rest)
    if command == "test":
        return test(rest)
    if command == "bench":
        return bench(rest)
    if command == "manage":
        services = Services("demo", DEMO)
        try:
            return manage(services.start("yimen", fresh=False), *rest, check=False)
        finally:
            services.stop()
    print(f"未知命令 {command}\n{__doc__}", file=sys.stderr)
    return 2
