"""Reading an uploaded list of NHS numbers. Pure: bytes in, rows or one clear error out.

The file must be CSV text with a column headed "NHS number" (other columns are ignored),
at most 2 MB and 10,000 rows. Anything else is refused whole, before anything is sent."""

import csv
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _csv import Reader

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
_HEADER_NAMES = {"nhsnumber", "nhsno", "nhs"}
_SPACING = re.compile(r"[\s-]")


class BulkFileError(Exception):
    """The file cannot be used; the message says why in words staff can act on."""


@dataclass(frozen=True)
class Entry:
    number: int  # the row in the file, counting the header as row 1
    nhs_number: str  # as written, without spaces or hyphens


def read_nhs_numbers(data: bytes) -> list[Entry]:
    if len(data) > MAX_BYTES:
        raise BulkFileError("The file is larger than 2 MB. Split it into smaller files.")
    if not data.strip():
        raise BulkFileError("The file is empty.")
    text = _decode(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return _entries(reader)
    except csv.Error:
        raise BulkFileError(
            f"The file could not be read as CSV (near line {reader.line_num}). "
            "Save it from your spreadsheet as “CSV” and try again."
        ) from None


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise BulkFileError(
            "This is not a CSV file: it holds binary data (is it a spreadsheet or a PDF?). "
            "Save the list as CSV and upload that."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BulkFileError("The file is not readable text. Save it as CSV (UTF-8) and try again.")


def _entries(reader: "Reader") -> list[Entry]:
    header: list[str] | None = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = row
            break
    if header is None:
        raise BulkFileError("The file is empty.")
    column = _nhs_column(header)
    entries: list[Entry] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(entries) == MAX_ROWS:
            raise BulkFileError(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
            )
        raw = row[column] if column < len(row) else ""
        entries.append(Entry(number=reader.line_num, nhs_number=_SPACING.sub("", raw)[:20]))
    if not entries:
        raise BulkFileError("The file has a heading but no NHS numbers under it.")
    return entries


def _nhs_column(header: list[str]) -> int:
    for index, cell in enumerate(header):
        if re.sub(r"[^a-z]", "", cell.lower()) in _HEADER_NAMES:
            return index
    shown = ", ".join(cell.strip() for cell in header)[:100]
    raise BulkFileError(f"The file needs a column headed “NHS number”. Its first row is: {shown}")
