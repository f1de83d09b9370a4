"""Puts the NHS.UK frontend that package-lock.json pins into slotlink/static/vendor/nhsuk-frontend/
(git-ignored), for the patient pages. See docs/adr/0007-nhsuk-frontend.md.

    python scripts/nhsuk_frontend.py                 # npm pack the pinned version, install it
    python scripts/nhsuk_frontend.py --tarball X.tgz # install a tarball fetched already

Either way the tarball's sha512 must be the lock's integrity, or nothing is written. Only the
compiled CSS and JavaScript and the images the CSS names are kept. The CSS loses its @font-face
rules (they load Frutiger from assets.nhs.uk: our CSP allows fonts from nowhere else, and the font
is licensed for nhs.uk only, so other services fall back to Arial as the design system intends)
and both files lose their source-map comments (the maps are not shipped). SOURCE.json records
the version, the integrity and each written file's sha256, so tests can tell the files are what
the lock names and that nobody has edited them. Standard library only: it runs before any venv."""

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "package-lock.json"
TARGET = ROOT / "slotlink" / "static" / "vendor" / "nhsuk-frontend"
PACKAGE = "nhsuk-frontend"
DIST = "package/dist/nhsuk/"
CSS = "nhsuk-frontend.min.css"
JS = "nhsuk-frontend.min.js"
SOURCE = "SOURCE.json"

FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
SOURCE_MAP = re.compile(r"\s*/[*/]# sourceMappingURL=[^\n]*?(\*/)?\s*$")
# The published CSS names its images from the web root (/assets/images/...); ours live beside it.
ROOT_ASSET = re.compile(r"url\(\s*['\"]?/assets/([^'\")\s]+)['\"]?\s*\)")


class VendorError(Exception):
    """Something a person must fix; main() prints it plainly."""


def locked() -> tuple[str, str]:
    """The pinned version and its integrity ("sha512-<base64>"), as package-lock.json says."""
    try:
        entry = json.loads(LOCK.read_text())["packages"][f"node_modules/{PACKAGE}"]
        return entry["version"], entry["integrity"]
    except (OSError, ValueError, KeyError) as error:
        raise VendorError(f"{LOCK} does not pin {PACKAGE}: {error!r}") from error


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def npm_pack(version: str, into: Path) -> Path:
    """The registry's tarball, fetched by npm itself (its registry settings, its cache)."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            "npm is needed once to fetch the NHS.UK frontend (Debian: apt-get install npm)."
        )
    result = subprocess.run(  # noqa: S603 - npm found on PATH, fixed arguments
        [npm, "pack", f"{PACKAGE}@{version}", "--pack-destination", str(into), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise VendorError(f"npm pack {PACKAGE}@{version} failed:\n{result.stderr.strip()}")
    return into / json.loads(result.stdout)[0]["filename"]


def clean_css(css: str) -> str:
    return ROOT_ASSET.sub(r"url(assets/\1)", SOURCE_MAP.sub("", FONT_FACE.sub("", css)))


def clean_js(js: str) -> str:
    return SOURCE_MAP.sub("", js)


def extract(tarball: bytes) -> dict[str, bytes]:
    """The files to write, by their path under TARGET."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:

        def read(name: str) -> bytes:
            member = archive.extractfile(DIST + name)
            if member is None:
                raise VendorError(f"{DIST}{name} is not a file in the tarball")
            return member.read()

        try:
            css = clean_css(read(CSS).decode())
            files = {CSS: css.encode(), JS: clean_js(read(JS).decode()).encode()}
            for asset in sorted(set(re.findall(r"url\((assets/[^)]+)\)", css))):
                files[asset] = read(asset)
        except KeyError as missing:
            raise VendorError(f"the tarball has no {missing}") from missing
    return files


def install(tarball: bytes, *, version: str, integrity: str, target: Path = TARGET) -> None:
    actual = integrity_of(tarball)
    if actual != integrity:
        raise VendorError(
            f"the {PACKAGE} tarball's integrity is {actual}, but package-lock.json pins "
            f"{integrity}: refusing to use it."
        )
    files = extract(tarball)
    if target.exists():
        shutil.rmtree(target)
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    source = {"package": PACKAGE, "version": version, "integrity": integrity, "files": hashes}
    (target / SOURCE).write_text(json.dumps(source, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="a tarball already fetched (npm pack)")
    args = parser.parse_args()
    try:
        version, integrity = locked()
        if args.tarball is not None:
            install(args.tarball.read_bytes(), version=version, integrity=integrity)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                tarball = npm_pack(version, Path(scratch))
                install(tarball.read_bytes(), version=version, integrity=integrity)
    except (VendorError, OSError) as error:
        print(f"nhsuk_frontend: {error}", file=sys.stderr)
        return 1
    print(f"nhsuk_frontend: {PACKAGE} {version} in {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
