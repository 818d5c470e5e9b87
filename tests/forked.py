"""Work in a forked copy of the test process, its result sent back through a
pipe: the kill test's clerks and half of the isolation walk, each on a core of
its own (Python runs one thread at a time per process).

os.fork, not multiprocessing: multiprocessing runs the libraries' after-fork
handlers in the child, and kombu's closes the parent's broker connections
politely — reading, on a socket the parent still uses, the answer to a BRPOP
that never comes to the child (a full run of the suite hung there). Here the
child drops those pools instead and makes its own, as it does its database
connections (closed in the parent before the fork) and Redis's (redis-py
reconnects in a new process by itself).
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import traceback
from collections.abc import Callable
from typing import Any


class Child:
    def __init__(self, pid: int, read: int):
        self.pid, self.read = pid, read

    def result(self, timeout: float = 600) -> Any:
        """What the child's function returned; AssertionError with its traceback
        if it raised, died or sent nothing in time."""
        try:
            ready, _, _ = select.select([self.read], [], [], timeout)
            if not ready:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"the forked process sent nothing in {timeout:.0f} s")
            with os.fdopen(self.read, "rb", closefd=False) as pipe:
                data = pipe.read()  # to the end: the child closes it when it has written
        finally:
            os.close(self.read)
            _, status = os.waitpid(self.pid, 0)
        if not data:
            raise AssertionError(f"the forked process ended (status {status}) and sent nothing")
        kind, value = pickle.loads(data)
        if kind != "done":
            raise AssertionError(f"the forked process failed:\n{value}")
        return value


def start(fn: Callable[..., Any], *args: Any) -> Child:
    """fn(*args) in a forked child; its return value must pickle."""
    from django.db import connections

    connections.close_all()  # the child must not share this process's sockets to PostgreSQL
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return Child(pid, read)
    os.close(read)
    code = 0
    try:
        _drop_broker_pools()
        outcome: tuple[str, Any] = ("done", fn(*args))
    except BaseException:  # noqa: BLE001 - sent to the parent
        outcome, code = ("error", traceback.format_exc()), 1
    try:
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe)
        connections.close_all()
    finally:
        os._exit(code)  # nothing of pytest's (fixtures, atexit) runs in the child


def _drop_broker_pools() -> None:
    """Celery's pools of broker connections hold the parent's sockets: forgotten,
    not closed (what Celery's own after-fork hook does, without the signal)."""
    from yimen.celery import app

    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
