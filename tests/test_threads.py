"""A test that starts threads fails when one of them fails or never finishes: nothing a worker
thread does wrong can pass unseen."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.concurrency import concurrently

ROOT = Path(__file__).resolve().parent.parent


def fail() -> None:
    raise RuntimeError("the worker failed")


def test_a_thread_that_raises_fails_the_test_with_its_error():
    with pytest.raises(ExceptionGroup) as raised, concurrently() as threads:
        threads.start(fail)
        threads.start(lambda: None)

    assert [str(error) for error in raised.value.exceptions] == ["the worker failed"]


def test_a_thread_that_never_finishes_fails_the_test():
    release = threading.Event()
    try:
        with pytest.raises(AssertionError, match="still running"), concurrently(0.2) as threads:
            threads.start(release.wait)
    finally:
        release.set()


def test_threads_joined_early_are_checked_there():
    done: list[int] = []
    with concurrently() as threads:
        first = threads.start(done.append, 1)
        threads.join(first)
        assert done == [1]
        threads.start(done.append, 2)
    assert done == [1, 2]


def test_an_unhandled_exception_in_any_thread_fails_its_test(tmp_path):
    """The project's pytest settings turn pytest's warning about an exception no one caught
    in a thread into an error, so even a test starting a bare Thread cannot pass over it."""
    bare = tmp_path / "test_bare_thread.py"
    bare.write_text(
        "import threading\n\n"
        "def test_starts_a_worker_that_fails():\n"
        "    thread = threading.Thread(target=lambda: 1 / 0)\n"
        "    thread.start()\n"
        "    thread.join()\n"
    )
    settings = ["-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:xdist"]
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pytest", *settings, "-q", str(bare)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert "ZeroDivisionError" in result.stdout
