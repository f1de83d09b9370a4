"""Stopping make prod-local while another stop is under way (`make prod-local-stop` from a
second terminal while `make prod-local` shuts down on its own) ends quietly, not in a
traceback from the record the other stopper removed first."""

import json
import subprocess
from pathlib import Path

import pytest

import deploy.prod_local as prod_local
from deploy.prod_local import ProdLocal


def test_a_record_removed_by_the_other_stopper_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pids").mkdir()
    child = subprocess.Popen(["/bin/sleep", "60"], start_new_session=True)
    record = tmp_path / "pids" / "app1.pid"
    record.write_text(json.dumps({"pid": child.pid, "started": prod_local._start_time(child.pid)}))
    stop_group = prod_local._stop_group

    def the_other_stopper_finishes_first(pgid: int) -> None:
        stop_group(pgid)
        record.unlink()

    monkeypatch.setattr(prod_local, "_stop_group", the_other_stopper_finishes_first)
    try:
        assert ProdLocal(state=tmp_path).stop() == ["app1"]
    finally:
        child.kill()
        child.wait()
    assert not record.exists()
