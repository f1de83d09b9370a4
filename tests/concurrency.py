"""Threads in tests, started and joined so that a failing or stuck thread fails the test.

A thread's exception never reaches the test by itself: `Thread.join` returns either way, and a
join with a timeout returns even while the thread still runs. `concurrently()` collects every
thread's exception, joins every thread by a deadline and raises if one is still running or
failed."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections


class Threads:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.started: list[threading.Thread] = []
        self.errors: list[Exception] = []

    def start(self, target: Callable[..., object], *args: Any) -> threading.Thread:
        """Run `target(*args)` on a new thread, with its own database connections."""

        def run() -> None:
            try:
                target(*args)
            except Exception as error:
                self.errors.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name=getattr(target, "__name__", None), daemon=True)
        thread.start()
        self.started.append(thread)
        return thread

    def join(self, *threads: threading.Thread) -> None:
        """Wait for these threads (all, if none named); fail if one is still running, or if
        any thread so far has raised."""
        deadline = time.monotonic() + self.timeout
        waiting = threads or tuple(self.started)
        for thread in waiting:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread in waiting if thread.is_alive()]
        assert not stuck, f"threads still running after {self.timeout:g} s: {stuck}"
        if self.errors:
            raise ExceptionGroup("a thread failed", self.errors)


@contextmanager
def concurrently(timeout: float = 60) -> Iterator[Threads]:
    """`with concurrently() as threads: threads.start(job)`: every thread is joined and
    checked on the way out."""
    threads = Threads(timeout)
    yield threads
    threads.join()
