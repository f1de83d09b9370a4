"""Reading an uploaded list of NHS numbers. Pure: bytes in, rows or one clear error out.

The file must be CSV text with a column headed "NHS number" (other columns are ignored),
at most 2 MB and 10,000 rows. Anything else is refused whole, before anything is sent."""

import csv
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slotlink.lib.csvfiles import CsvFileError, csv_reader, unreadable

if TYPE_CHECKING:
    from _csv import Reader

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
_HEADER_NAMES = {"nhsnumber", "nhsno", "nhs"}
_SPACING = re.compile(r"[\s-]")


@dataclass(frozen=True)
class Entry:
    number: int  # the row in the file, counting the header as row 1
    nhs_number: str  # as written, without spaces or hyphens


def read_nhs_numbers(data: bytes) -> list[Entry]:
    if len(data) > MAX_BYTES:
        raise CsvFileError("The file is larger than 2 MB. Split it into smaller files.")
    if not data.strip():
        raise CsvFileError("The file is empty.")
    reader = csv_reader(data)
    try:
        return _entries(reader)
    except csv.Error:
        raise unreadable(reader) from None


def _entries(reader: "Reader") -> list[Entry]:
    header: list[str] | None = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = row
            break
    if header is None:
        raise CsvFileError("The file is empty.")
    column = _nhs_column(header)
    entries: list[Entry] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(entries) == MAX_ROWS:
            raise CsvFileError(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
            )
        raw = row[column] if column < len(row) else ""
        entries.append(Entry(number=reader.line_num, nhs_number=_SPACING.sub("", raw)[:20]))
    if not entries:
        raise CsvFileError("The file has a heading but no NHS numbers under it.")
    return entries


def _nhs_column(header: list[str]) -> int:
    for index, cell in enumerate(header):
        if re.sub(r"[^a-z]", "", cell.lower()) in _HEADER_NAMES:
            return index
    shown = ", ".join(cell.strip() for cell in header)[:100]
    raise CsvFileError(f"The file needs a column headed “NHS number”. Its first row is: {shown}")
