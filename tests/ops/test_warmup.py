"""An app server's gunicorn master loads the app and everything a first request would before it
forks (slotlink/gunicorn_config.py, slotlink/lib/warmup.py), so a worker replaced after
WEB_MAX_REQUESTS costs a fork, not a second of CPU loading Django again."""

import gc
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader

from slotlink.lib.warmup import warm_up
from tests.test_settings import ROOT


@pytest.fixture
def frozen_gc() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_warm_up_compiles_every_template_without_touching_the_database(frozen_gc: None) -> None:
    # No `db` fixture: pytest-django fails any query, so this also proves warm_up makes none.
    (loader,) = engines["django"].engine.template_loaders
    assert isinstance(loader, CachedLoader)
    loader.reset()

    warm_up()

    compiled = set(loader.get_template_cache)
    templates = ROOT / "slotlink" / "templates"
    for name in ("base_patient.html", "portal/book/times.html", "clinic/diary.html"):
        assert (templates / name).exists()
        assert name in compiled
    assert len(compiled) >= sum(1 for _ in templates.rglob("*.html"))
    assert gc.get_freeze_count() > 0
    assert "holidays.countries.united_kingdom" in sys.modules


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
        return int(response.status)


def test_gunicorn_replaces_a_worker_from_the_preloaded_app_and_it_serves(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SLOTLINK_ENV", "DATABASE_URL")},
        "DJANGO_SETTINGS_MODULE": "slotlink.settings",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "SERVE_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "1",
        "WEB_MAX_REQUESTS": "3",  # jitter 1: a worker serves 3 or 4 requests
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:slotlink.gunicorn_config"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        statuses = [_get(f"http://127.0.0.1:{port}/healthz") for _ in range(12)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    log.seek(0)
    output = log.read()
    assert statuses == [200] * 12
    # Loaded once, in the master; the workers forked from it after the first served too.
    assert output.count("Autorestarting worker after current request") >= 2
    assert output.count("Booting worker") >= 3
