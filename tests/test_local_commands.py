"""The local launcher (infra/local): `yimen.py manage …` run beside a running
demo uses the demo's servers and leaves them running when it exits; `yimen.py
test` splits the suite into two shards that together run every test file once."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg2
import pytest

from infra.local import commands
from infra.local.postgres import EmbeddedPostgres
from infra.local.redis import LocalRedis, _port_open
from tests.conftest import ROOT, free_port


def test_manage_beside_the_demo_leaves_its_servers_running(monkeypatch):
    # Not pytest's tmp_path: /tmp/pytest-of-root is mode 0700 and PostgreSQL runs as the service user.
    data = Path(tempfile.mkdtemp(prefix="yimen-demo-"))
    ports = {"pg": free_port(), "redis": free_port(), "es": free_port(), "web": free_port()}
    demo_pg = EmbeddedPostgres(data / "demo" / "pg", ports["pg"])
    demo_redis = LocalRedis(data / "demo" / "redis", ports["redis"])
    demo_pg.start()
    demo_redis.start()
    try:
        demo_pg.ensure_database("yimen")
        monkeypatch.setattr(commands, "DATA", data)
        monkeypatch.setattr(commands, "DEMO", ports)

        assert commands.run(["manage", "check"]) == 0

        # The demo's database still answers, and so does its broker.
        with psycopg2.connect(demo_pg.url("yimen")) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
        assert _port_open(ports["redis"])
        demo_redis.stop()
        demo_pg.stop()
        assert not demo_pg.running(), "the launcher that started a server stops it"
    finally:
        demo_redis.stop()
        demo_pg.stop()
        shutil.rmtree(data, ignore_errors=True)


def test_the_two_shards_run_every_test_file_once_and_the_browser_tests_together(monkeypatch):
    first, second = commands._shards()
    every = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "tests").glob("test_*.py"))
    assert sorted(first + second) == every and not set(first) & set(second)
    assert [f for f in first if "browser" in f] == []  # one Chromium per run
    # A name that matches no file (renamed, removed) is an error, not a silent shift of the balance.
    monkeypatch.setattr(commands, "SECOND_SHARD", (*commands.SECOND_SHARD, "test_gone.py"))
    with pytest.raises(SystemExit, match="test_gone.py"):
        commands._shards()
