"""The dependency map in .importlinter holds, and it bites: an upward import, an import
between independent siblings, Django in the domain, an app in lib or one app reaching into
another's views or presenters breaks it."""

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


LAYERS = "Layers: each app imports only from the layers below it BROKEN"


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        # Upward, across one layer or several.
        ("audit/models.py", "slotlink.booking.models", LAYERS),
        ("messaging/models.py", "slotlink.booking.models", LAYERS),
        ("clinic/models.py", "slotlink.booking.models", LAYERS),
        ("clinic/views/__init__.py", "slotlink.records.services.patients", LAYERS),
        ("booking/links/views.py", "slotlink.portal.presenters", LAYERS),
        ("booking/models.py", "slotlink.ops.models", LAYERS),
        ("records/services/patients.py", "slotlink.api.services", LAYERS),
        # Between siblings that must stay independent.
        ("portal/views/book.py", "slotlink.records.views", LAYERS),
        ("messaging/models.py", "slotlink.accounts.services", LAYERS),
        # Inside booking: links know nothing of the appointments booked through them.
        ("booking/links/services.py", "slotlink.booking.appointments.services", "Booking's parts"),
        # Another app's screens: the same layer order, yet refused.
        (
            "booking/links/views.py",
            "slotlink.clinic.presenters",
            "Views and presenters of clinic are imported by clinic only BROKEN",
        ),
        (
            "records/views.py",
            "slotlink.booking.links.views",
            "Views and presenters of booking are imported by booking only BROKEN",
        ),
        (
            "ops/demo_api.py",
            "slotlink.api.fhir.mappers",
            "Views and presenters of api are imported by api only BROKEN",
        ),
        # The floor.
        ("domain/intervals.py", "django.utils.timezone", "The domain is plain Python"),
        ("lib/formatting.py", "slotlink.clinic.models", "lib imports no app BROKEN"),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(
    tmp_path: Path, module: str, imported: str, contract: str
) -> None:
    shutil.copy(ROOT / ".importlinter", tmp_path)
    shutil.copytree(
        ROOT / "slotlink", tmp_path / "slotlink", ignore=shutil.ignore_patterns("__pycache__")
    )
    wrong = tmp_path / "slotlink" / module
    wrong.write_text(wrong.read_text() + f"\nimport {imported}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert contract in result.stdout
