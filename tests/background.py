"""Slow preparation begun in a thread as soon as a run knows it will need it
(a JVM to start, a tool to install and run), so that it overlaps the tests
before the first one that waits for it."""
from __future__ import annotations

import threading


class Background:
    def __init__(self, work):
        self._work, self._value, self._error = work, None, None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to the test that waits, with its traceback
            self._error = exc

    def start(self) -> None:
        if not self.started():
            self._thread.start()

    def started(self) -> bool:
        return self._thread.ident is not None

    def result(self):
        """Waits for the work (starting it if nobody did) and returns what it returned."""
        self.start()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def command(*args, **kwargs) -> Background:
    """A command run to completion in the background (`subprocess.run` with
    output captured as text); `result()` is its CompletedProcess."""
    import subprocess

    return Background(lambda: subprocess.run(list(args), capture_output=True, text=True, **kwargs))
