"""The dependency map in .importlinter holds, and it bites: an upward import (the audit log
reaching into booking, messaging into booking) breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / ".importlinter")],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "contract"),
    [
        ("audit/models.py", "The audit log imports no other app BROKEN"),
        ("messaging/models.py", "Messaging imports no booking"),
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path: Path, module: str, contract: str) -> None:
    shutil.copy(ROOT / ".importlinter", tmp_path)
    shutil.copytree(
        ROOT / "slotlink", tmp_path / "slotlink", ignore=shutil.ignore_patterns("__pycache__")
    )
    upward = tmp_path / "slotlink" / module
    upward.write_text(upward.read_text() + "\nimport slotlink.booking.models  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert contract in result.stdout
