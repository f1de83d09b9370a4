"""Compile the translation catalogues (slotlink/locale/*/LC_MESSAGES/django.po) into the .mo
files Django reads, with the pinned Babel: no system gettext needed (docs/adr/0009-welsh.md).

    python scripts/messages.py            # write every .mo from its .po
    python scripts/messages.py --check    # exit 1 if a committed .mo differs from its .po

The .mo files are committed, so a fresh machine and the production image need nothing; the
test suite runs the check, so a .po edited without `make messages` fails the build."""

import io
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "slotlink" / "locale"


def compiled(po: Path) -> bytes:
    with po.open("rb") as source:
        catalogue = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalogue, use_fuzzy=False)
    return out.getvalue()


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def main(check: bool) -> int:
    stale = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        data = compiled(po)
        if check:
            if not mo.exists() or mo.read_bytes() != data:
                stale.append(mo)
        else:
            mo.write_bytes(data)
    for mo in stale:
        print(f"{mo} does not match its .po: run make messages", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
