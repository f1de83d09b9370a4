"""Reading a CSV file as a spreadsheet saves it: UTF-8 (with or without a byte-order mark) or
Windows' own encoding, separated by commas, semicolons or tabs."""

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _csv import Reader


class CsvFileError(Exception):
    """A file refused whole; the message says what to do about it."""


def csv_reader(data: bytes) -> "Reader":
    """A strict reader over the file's text, with the delimiter its first line uses."""
    text = csv_text(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def csv_text(data: bytes) -> str:
    if b"\x00" in data:
        raise CsvFileError(
            "This is not a CSV file: it holds binary data (is it a spreadsheet or a PDF?). "
            "Save it as CSV and upload that."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvFileError("The file is not readable text. Save it as CSV (UTF-8) and try again.")


def unreadable(reader: "Reader") -> CsvFileError:
    """For the csv.Error a reader raised: where, and what to do."""
    return CsvFileError(
        f"The file could not be read as CSV (near line {reader.line_num}). "
        "Save it from your spreadsheet as “CSV” and try again."
    )
