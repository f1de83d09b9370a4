"""docs/security.md names the test that answers each threat: every one it names exists, so the
page cannot quietly point at tests that were renamed or removed."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
THREATS = [
    "Wrong patient gets a link",
    "Shared phone",
    "Link forwarded",
    "SMS budget drained",
    "Brute force",
    "Staff account stolen",
    "Insider browsing",
    "Enumeration",
    "Cross-site scripting",
    "Cross-site request forgery",
    "Session theft",
]


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_security_page_names_exists() -> None:
    text = DOC.read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", text)
    assert len(named) > 40
    for file, name in named:
        assert name in functions_in(ROOT / file), f"{file}::{name}"
    # Bare `::test_…` entries continue the file named just before them.
    for file, rest in re.findall(r"`(tests/[\w/]+\.py)`((?:[^`]|`::test_\w+`)*)", text):
        for name in re.findall(r"`::(test_\w+)`", rest):
            assert name in functions_in(ROOT / file), f"{file}::{name}"


def test_the_security_page_covers_every_threat_the_issue_names() -> None:
    headings = re.findall(r"^### (.+)$", DOC.read_text(), re.M)
    for threat in THREATS:
        assert any(heading.startswith(threat) for heading in headings), threat
