"""`make test`'s dependency check: pip-audit over the lock files, so what is audited is exactly
what production (requirements.lock) and development (requirements-dev.lock) install.

pip-audit needs PyPI's vulnerability data. Where this machine cannot reach it (no network,
or a package mirror without PyPI's JSON API), every package comes back "not found on PyPI"
and nothing was really checked: that is said plainly and the step is skipped, not passed.
Any vulnerability found fails the step, in CI and everywhere else."""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements.lock", ROOT / "requirements-dev.lock"]


def main() -> int:
    result = subprocess.run(  # noqa: S603 - our own virtualenv's pip-audit, fixed arguments
        [
            str(PIP_AUDIT),
            *(f"--requirement={lock}" for lock in LOCKS),
            # Every locked line is pinned and hashed: nothing to resolve, so no pip run.
            "--disable-pip",
            "--format=json",
            "--progress-spinner=off",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(
            "pip-audit: SKIPPED - PyPI's vulnerability data cannot be reached from this "
            f"machine ({result.stderr.strip().splitlines()[-1:] or 'no output'}).",
            file=sys.stderr,
        )
        return 0
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} vulnerable package(s).", file=sys.stderr)
        return 1
    if not audited:
        print(
            "pip-audit: SKIPPED - no package could be looked up in PyPI's vulnerability data "
            "from this machine; run `make test` where PyPI is reachable.",
            file=sys.stderr,
        )
        return 0
    print(f"pip-audit: {len(audited)} packages checked, no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
