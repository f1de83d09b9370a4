"""Reading CSV files of therapists (with their weekly shifts) and of patients, for
onboarding a service in bulk. Plain data in and out, no database: the caller passes what is
already on Slotlink, so the same checks serve the preview and the import.

A file is refused whole (CsvFileError) when it cannot be read at all: too large, empty,
not text, not CSV, columns missing. Otherwise every row gets its problems (which block the
import) and warnings (which do not), in words staff can act on."""

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from slotlink.lib.csvfiles import CsvFileError, csv_reader, unreadable
from slotlink.lib.inputs import nhs_number_of, person_day, uk_mobile

if TYPE_CHECKING:
    from _csv import Reader

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5_000
THERAPISTS = "therapists"
PATIENTS = "patients"


@dataclass
class Row:
    number: int  # the line in the file, the heading being line 1
    cells: dict[str, str]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # as the example file writes it
    required: bool
    other_names: tuple[str, ...] = ()

    def matches(self, cell: str) -> bool:
        name = _letters(cell)
        return name in {_letters(self.heading), *map(_letters, self.other_names)}


THERAPIST_COLUMNS = (
    Column("name", "Therapist", True, ("name", "therapist name")),
    Column("team", "Team", False),
    Column("day", "Day", False, ("weekday",)),
    Column("starts", "Starts", False, ("start", "from time")),
    Column("ends", "Ends", False, ("end", "until time")),
    Column("repeats", "Every weeks", False, ("repeats", "every")),
    Column("from", "From", False, ("effective from",)),
    Column("until", "Until", False, ("effective to", "to")),
    Column("online", "Bookable online", False, ("online",)),
)
PATIENT_COLUMNS = (
    Column("first_name", "First name", True, ("forename", "given name")),
    Column("last_name", "Last name", True, ("surname", "family name")),
    Column("born", "Date of birth", True, ("dob", "birth date")),
    Column("nhs_number", "NHS number", False, ("nhs no", "nhs")),
    Column("mobile", "Mobile", False, ("mobile number", "phone")),
    Column("email", "Email", False, ("email address",)),
    Column("language", "Language", False, ("preferred language",)),
)
COLUMNS = {THERAPISTS: THERAPIST_COLUMNS, PATIENTS: PATIENT_COLUMNS}

EXAMPLES = {
    THERAPISTS: (
        "Therapist,Team,Day,Starts,Ends,Every weeks,From,Until,Bookable online\r\n"
        "Sam Fictional,North,Monday,09:00,12:30,1,04/01/2027,,yes\r\n"
        "Sam Fictional,North,Monday,13:30,17:00,1,04/01/2027,,yes\r\n"
        "Sam Fictional,North,Wednesday,09:00,17:00,2,04/01/2027,,no\r\n"
        "Jo Example,South,Tuesday,10:00,16:00,1,04/01/2027,31/03/2027,yes\r\n"
    ),
    PATIENTS: (
        "First name,Last name,Date of birth,NHS number,Mobile,Email,Language\r\n"
        "Alex,Fictional,12/04/1990,999 001 8022,07700 900123,alex@example.com,English\r\n"
        "Bea,Example,03/11/1985,,07700 900456,,Welsh\r\n"
    ),
}

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")
_YES = {"yes", "y", "true", "1", ""}
_NO = {"no", "n", "false", "0"}
_LANGUAGES = {"": "en", "en": "en", "english": "en", "cy": "cy", "welsh": "cy", "cymraeg": "cy"}
# Patterns start within five years of today either way, as on the pattern page.
_SETUP_YEARS = timedelta(days=5 * 366)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def read_csv(data: bytes, kind: str) -> list[Row]:
    """The file's rows, each cell under its column's key; empty lines skipped."""
    if len(data) > MAX_BYTES:
        raise CsvFileError("The file is larger than 1 MB. Split it into smaller files.")
    if not data.strip():
        raise CsvFileError("The file is empty. Fill in the example file and upload that.")
    reader = csv_reader(data)
    try:
        return _rows(reader, COLUMNS[kind])
    except csv.Error:
        raise unreadable(reader) from None


def _rows(reader: "Reader", columns: tuple[Column, ...]) -> list[Row]:
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        raise CsvFileError("The file is empty. Fill in the example file and upload that.")
    places: dict[str, int] = {}
    for column in columns:
        found = next((i for i, cell in enumerate(header) if column.matches(cell)), None)
        if found is not None:
            places[column.key] = found
    missing = [c.heading for c in columns if c.required and c.key not in places]
    if missing:
        shown = ", ".join(cell.strip() for cell in header)[:200]
        raise CsvFileError(
            f"The file needs {'a column' if len(missing) == 1 else 'columns'} headed "
            f"{', '.join(f'“{m}”' for m in missing)}. Its first row is: {shown}. "
            "Start from the example file."
        )
    rows: list[Row] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == MAX_ROWS:
            raise CsvFileError(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
            )
        rows.append(
            Row(
                number=reader.line_num,
                cells={
                    key: (cells[i].strip()[:200] if i < len(cells) else "")
                    for key, i in places.items()
                },
            )
        )
    if not rows:
        raise CsvFileError("The file has a heading but no rows under it.")
    return rows


# Therapists


@dataclass(frozen=True)
class Shift:
    weekday: int
    starts: time
    ends: time
    every_weeks: int
    effective_from: date
    effective_to: date | None
    online_bookable: bool


def _clock(raw: str) -> time | None:
    found = _CLOCK.fullmatch(raw.strip())
    return time(int(found.group(1)), int(found.group(2))) if found else None


def therapist_shift(row: Row, today: date) -> Shift | None:
    """The row's shift, or None when it has none (a therapist with no shifts yet) or a
    problem, which is added to the row."""
    cells = row.cells
    raw_day, raw_start, raw_end = (
        cells.get("day", ""),
        cells.get("starts", ""),
        cells.get("ends", ""),
    )
    if not (raw_day or raw_start or raw_end):
        return None
    day = _letters(raw_day)
    weekday = next(
        (i for i, name in enumerate(_WEEKDAYS) if day and name.startswith(day) and len(day) >= 3),
        None,
    )
    if weekday is None:
        row.problems.append(f"“{raw_day}” is not a day of the week: write Monday, Tuesday…")
    starts, ends = _clock(raw_start), _clock(raw_end)
    for raw, value, label in ((raw_start, starts, "start"), (raw_end, ends, "end")):
        if value is None:
            row.problems.append(f"The {label} time “{raw}” should look like 09:00 or 17:30.")
    if starts and ends and ends <= starts:
        row.problems.append("The shift must end after it starts, on the same day.")
    raw_every = cells.get("repeats", "") or "1"
    every = int(raw_every) if raw_every in {"1", "2", "3", "4"} else None
    if every is None:
        row.problems.append(
            f"“Every weeks” is “{raw_every}”: write 1 for every week, 2 for every other week "
            "(up to 4)."
        )
    earliest, latest = today - _SETUP_YEARS, today + _SETUP_YEARS
    raw_from, raw_until = cells.get("from", ""), cells.get("until", "")
    since = person_day(raw_from, earliest, latest) if raw_from else today
    if since is None:
        row.problems.append(
            f"“From” is “{raw_from}”: write a date within five years of today, such as 04/01/2027."
        )
    until = person_day(raw_until, earliest, latest) if raw_until else None
    if raw_until and until is None:
        row.problems.append(
            f"“Until” is “{raw_until}”: write a date within five years of today, or leave it empty."
        )
    if since and until and until < since:
        row.problems.append("“Until” is before “From”.")
    online = cells.get("online", "").lower()
    if online not in _YES | _NO:
        row.problems.append(f"“Bookable online” is “{cells['online']}”: write yes or no.")
    if row.problems or weekday is None or not starts or not ends or not every or not since:
        return None
    return Shift(weekday, starts, ends, every, since, until, online not in _NO)


def check_therapists(
    rows: list[Row], today: date, existing_names: Iterable[str]
) -> dict[int, Shift]:
    """Each row's problems and, for good rows with a shift, the shift by row number."""
    taken = {name.casefold() for name in existing_names}
    shifts: dict[int, Shift] = {}
    seen: dict[tuple[str, int], list[tuple[int, Shift]]] = {}
    for row in rows:
        name = row.cells.get("name", "")
        if not name:
            row.problems.append("The therapist's name is missing.")
        elif name.casefold() in taken:
            row.problems.append(
                f"A therapist called {name} is already on Slotlink. Add their shifts on their "
                "Working pattern page instead, or remove these rows."
            )
        shift = therapist_shift(row, today)
        if shift is None or not name:
            continue
        for number, other in seen.get((name.casefold(), shift.weekday), []):
            if (
                _same_weeks(shift, other)
                and shift.starts < other.ends
                and other.starts < shift.ends
            ):
                row.problems.append(f"Overlaps {name}’s shift on line {number}.")
                break
        seen.setdefault((name.casefold(), shift.weekday), []).append((row.number, shift))
        if not row.problems:
            shifts[row.number] = shift
    return shifts


def _same_weeks(a: Shift, b: Shift) -> bool:
    """Whether two shifts on one weekday could fall on the same day (dates overlap; an
    every-other-week pair may still alternate, which is not worth refusing over)."""
    a_end, b_end = a.effective_to or date.max, b.effective_to or date.max
    return (
        a.effective_from <= b_end
        and b.effective_from <= a_end
        and a.every_weeks == b.every_weeks == 1
    )


# Patients


@dataclass(frozen=True)
class NewPatient:
    first_name: str
    last_name: str
    date_of_birth: date
    nhs_number: str
    mobile: str
    email: str
    language: str


def check_patients(
    rows: list[Row],
    today: date,
    existing_nhs_numbers: Callable[[list[str]], set[str]],
    existing_people: Callable[[list[tuple[str, str, date]]], set[tuple[str, str, date]]],
) -> dict[int, NewPatient]:
    """Each row's problems and warnings, and each good row's patient by row number. The two
    callables say which of the file's NHS numbers and (first, last, birth) people are
    already on the service's caseload (names compared case-insensitively)."""
    found: dict[int, NewPatient] = {}
    numbers: dict[int, str] = {}  # each row's NHS number, where it has a valid one
    for row in rows:
        patient = _patient(row, today)
        if patient is not None:
            found[row.number] = patient
        number = nhs_number_of(row.cells.get("nhs_number", ""))
        if number is not None:
            numbers[row.number] = number
    taken = existing_nhs_numbers(sorted(set(numbers.values())))
    first_with_number: dict[str, int] = {}
    by_number = {row.number: row for row in rows}
    for line, number in numbers.items():
        row = by_number[line]
        if number in taken:
            row.problems.append(
                "A patient with this NHS number is already on the caseload. Remove the row "
                "(their record is there already)."
            )
            continue
        earlier = first_with_number.setdefault(number, line)
        if earlier != line:
            row.problems.append(f"The same NHS number is on line {earlier}.")
    known = existing_people([_person(p) for p in found.values()])
    first_with_person: dict[tuple[str, str, date], int] = {}
    for line, patient in found.items():
        row = by_number[line]
        person = _person(patient)
        if person in known:
            row.warnings.append(
                "A patient with this name and date of birth is already on the caseload: check "
                "it is not the same person."
            )
        first = first_with_person.setdefault(person, line)
        if first != line:
            row.warnings.append(f"The same name and date of birth are on line {first}.")
    return {line: p for line, p in found.items() if not by_number[line].problems}


def _person(patient: NewPatient) -> tuple[str, str, date]:
    return (patient.first_name.casefold(), patient.last_name.casefold(), patient.date_of_birth)


def _patient(row: Row, today: date) -> NewPatient | None:
    cells = row.cells
    first, last = cells.get("first_name", ""), cells.get("last_name", "")
    if not first:
        row.problems.append("The first name is missing.")
    if not last:
        row.problems.append("The last name is missing.")
    if len(first) > 100 or len(last) > 100:
        row.problems.append("A name is longer than 100 characters.")
    raw_born = cells.get("born", "")
    born = person_day(raw_born, date(1900, 1, 1), today)
    if born is None:
        row.problems.append(
            f"The date of birth “{raw_born}” should be a past date such as 12/04/1990."
            if raw_born
            else "The date of birth is missing."
        )
    raw_nhs = cells.get("nhs_number", "")
    nhs = nhs_number_of(raw_nhs) if raw_nhs else ""
    if nhs is None:
        row.problems.append(
            f"“{raw_nhs}” is not a valid NHS number: it needs 10 digits and the last one "
            "must match the others. Check it against the record."
        )
    raw_mobile = cells.get("mobile", "")
    mobile = uk_mobile(raw_mobile) if raw_mobile else ""
    if mobile is None:
        row.problems.append(f"“{raw_mobile}” is not a UK mobile number, such as 07700 900123.")
    email = cells.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.problems.append(f"“{email}” is not an email address.")
    language = _LANGUAGES.get(cells.get("language", "").strip().lower())
    if language is None:
        row.problems.append(f"The language “{cells['language']}” should be English or Welsh.")
    if row.problems or born is None or nhs is None or mobile is None or language is None:
        return None
    return NewPatient(first, last, born, nhs, mobile, email, language)
