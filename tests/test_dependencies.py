"""pyproject.toml lists the direct dependencies, pinned; requirements.lock (what production
installs) and requirements-dev.lock (what make setup installs) hold the whole tree, with hashes.
These tests fail when the two drift apart, and when code imports a package no one declared."""

import ast
import re
import sys
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
FIRST_PARTY = {"slotlink", "tests", "benchmarks", "deploy"}
# How uv's annotations name the project: a locked package "via" it is a direct dependency.
VIA_PROJECT = "slotlink (pyproject.toml)"


def normalized(name: str) -> str:
    """Distribution names compare as PEP 503 says: case and runs of -_. do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    """{name: version} from pyproject's list; every entry must be an exact pin."""
    pinned = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[a-z,]+\])?==([^\s;]+)", requirement)
        assert match, f"{requirement!r} in pyproject.toml is not pinned exactly (name==version)"
        pinned[normalized(match[1])] = match[2]
    return pinned


RUNTIME_PINS = pins(PROJECT["dependencies"])
DEV_PINS = pins(PROJECT["optional-dependencies"]["dev"])


@dataclass
class Locked:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def read_lock(path: Path) -> dict[str, Locked]:
    """uv's output: `name==version [; marker] \\`, its `--hash=` lines, then `# via` lines."""
    locked: dict[str, Locked] = {}
    current: Locked | None = None
    for line in path.read_text().splitlines():
        if match := re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", line):
            current = locked[normalized(match[1])] = Locked(match[2])
        elif current and (match := re.match(r"\s+--hash=(\S+)", line)):
            current.hashes.append(match[1])
        elif current and (match := re.match(r"\s+#\s+(?:via\s+)?(\S.*)$", line)):
            current.via.append(match[1].strip())
    return locked


def test_every_locked_package_is_pinned_with_sha256_hashes() -> None:
    for path in (RUNTIME_LOCK, DEV_LOCK):
        locked = read_lock(path)
        assert locked, f"{path.name} lists nothing"
        for name, entry in locked.items():
            assert entry.hashes, f"{name} in {path.name} has no hash"
            assert all(h.startswith("sha256:") for h in entry.hashes), name


def test_the_runtime_lock_holds_exactly_pyprojects_runtime_pins() -> None:
    locked = read_lock(RUNTIME_LOCK)
    direct = {name for name, entry in locked.items() if VIA_PROJECT in entry.via}
    assert direct == set(RUNTIME_PINS), "pyproject.toml changed: run `make lock`"
    drifted = {n: (v, locked[n].version) for n, v in RUNTIME_PINS.items() if locked[n].version != v}
    assert not drifted, f"pyproject pins vs requirements.lock: {drifted}; run `make lock`"


def test_the_dev_lock_holds_exactly_pyprojects_runtime_and_dev_pins() -> None:
    locked = read_lock(DEV_LOCK)
    wanted = RUNTIME_PINS | DEV_PINS
    direct = {name for name, entry in locked.items() if VIA_PROJECT in entry.via}
    assert direct == set(wanted), "pyproject.toml changed: run `make lock`"
    drifted = {n: (v, locked[n].version) for n, v in wanted.items() if locked[n].version != v}
    assert not drifted, f"pyproject pins vs requirements-dev.lock: {drifted}; run `make lock`"


def test_development_runs_the_versions_production_runs() -> None:
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    differ = {
        name: (entry.version, dev[name].version if name in dev else None)
        for name, entry in runtime.items()
        if name not in dev or dev[name].version != entry.version
    }
    assert not differ, f"requirements.lock vs requirements-dev.lock: {differ}; run `make lock`"


def test_the_build_backend_make_setup_uses_is_locked_and_new_enough() -> None:
    # make setup installs the project with --no-build-isolation: its setuptools is the lock's.
    (requires,) = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    minimum = re.fullmatch(r"setuptools>=(\d+)", requires)
    assert minimum, requires
    assert int(DEV_PINS["setuptools"].split(".")[0]) >= int(minimum[1])


def imported_top_level(*folders: str) -> dict[str, str]:
    """{top-level module: a file importing it}, for absolute imports outside the stdlib."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def undeclared(imports: dict[str, str], declared: set[str]) -> list[str]:
    providers = packages_distributions()
    return [
        f"{module} (imported by {where}; installed from {providers.get(module, ['nothing'])})"
        for module, where in sorted(imports.items())
        if not {normalized(d) for d in providers.get(module, [])} & declared
    ]


def test_slotlink_imports_only_its_declared_runtime_dependencies() -> None:
    imports = imported_top_level("slotlink")
    assert "django" in imports  # the scan sees the code
    missing = undeclared(imports, set(RUNTIME_PINS))
    assert not missing, f"declare these in pyproject.toml's dependencies: {missing}"


def test_tests_benchmarks_and_tools_import_only_declared_dependencies() -> None:
    imports = imported_top_level("tests", "benchmarks", "deploy", "scripts")
    missing = undeclared(imports, set(RUNTIME_PINS) | set(DEV_PINS))
    assert not missing, f"declare these in pyproject.toml: {missing}"
