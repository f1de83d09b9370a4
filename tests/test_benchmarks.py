"""The scale benchmark's CPU meter counts each process's CPU once. A gunicorn worker replaced
during a run was counted twice (its own samples, then again in its parent's children's
time, with its life before the run on top), which made one app server look 60% dearer."""

import subprocess
import sys
from pathlib import Path

from benchmarks.scale import CpuMeter

BURN_S = 1.0
CHILD = f"""
import time
end = time.process_time() + {BURN_S}
while time.process_time() < end:
    pass
"""
# The parent waits for its child (as gunicorn's master waits for a replaced worker) and
# lives on a little, to be sampled after.
PARENT = """
import subprocess, sys, time
subprocess.run([sys.executable, sys.argv[1]], check=True)
time.sleep(0.6)
"""


def test_a_child_that_exits_is_counted_once(tmp_path: Path) -> None:
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "parent.py").write_text(PARENT)
    command = [sys.executable, str(tmp_path / "parent.py"), str(tmp_path / "child.py")]
    parent = subprocess.Popen(command, start_new_session=True)  # noqa: S603 - our own files
    meter = CpuMeter(app_groups=[parent.pid], worker_groups=[], database="no database")
    meter.start()
    parent.wait(timeout=60)
    spent = meter.stop()["app"]
    # Less than it burned by at most one sampling interval (its last moments before it
    # exits), more by the parent's own start: never twice.
    assert BURN_S - 2 * CpuMeter.SAMPLE_S <= spent <= BURN_S + 0.3, spent
