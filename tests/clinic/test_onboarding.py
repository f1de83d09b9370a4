"""Onboarding in bulk from CSV files: a preview row by row, then all of the file imported or
none of it; every bad file and bad row explained in words; never a server error."""

import html
from datetime import date, time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from slotlink.audit.models import AuditAction, AuditEvent
from slotlink.booking.availability.selectors import rule_available_times
from slotlink.clinic.models import Language, Patient, Team, Therapist, WorkingPattern
from slotlink.clinic.onboarding import (
    EXAMPLES,
    MAX_ROWS,
    PATIENTS,
    THERAPISTS,
    check_patients,
    check_therapists,
    read_csv,
)
from slotlink.lib.csvfiles import CsvFileError
from slotlink.ops.demo import demo_nhs_number
from tests.conftest import Clinic, logged_in

pytestmark = pytest.mark.usefixtures("frozen_now")
TODAY = date(2026, 12, 7)
NHS = [demo_nhs_number(499_100 + n) for n in range(4)]


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def upload(client: Client, kind: str, content: bytes | str) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        reverse("clinic:import_upload", args=[kind]),
        {f"{kind}-file": SimpleUploadedFile(f"{kind}.csv", data, content_type="text/csv")},
    )


def confirm(client: Client, kind: str, content: str) -> Any:
    return client.post(reverse("clinic:import_confirm", args=[kind]), {"payload": content})


THERAPIST_FILE = (
    "Therapist,Team,Day,Starts,Ends,Every weeks,From,Until,Bookable online\n"
    "Sam Fictional,North,Saturday,09:00,11:00,1,07/12/2026,,yes\n"
    "Sam Fictional,North,Saturday,13:00,15:00,1,07/12/2026,,yes\n"
    "Sam Fictional,North,Sunday,09:00,12:00,2,07/12/2026,,no\n"
    "Jo Example,,Tuesday,10:00,16:00,1,2026-12-07,31/03/2027,\n"
)
PATIENT_FILE = (
    "First name,Last name,Date of birth,NHS number,Mobile,Email,Language\n"
    f"Alex,Fictional,12/04/1990,{NHS[0]},07700 900123,alex@example.com,English\n"
    f"Bea,Example,3/11/1985,{NHS[1][:3]} {NHS[1][3:6]} {NHS[1][6:]},,,Welsh\n"
)


# Therapists


def test_therapists_with_their_shifts_are_previewed_then_imported(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    preview = upload(client, THERAPISTS, THERAPIST_FILE)
    assert preview.status_code == 200
    assert "4 rows ready to import" in text(preview)
    assert not Therapist.objects.filter(name="Sam Fictional").exists()
    done = confirm(client, THERAPISTS, THERAPIST_FILE)
    assert done.status_code == 200
    assert "All 4 rows imported" in text(done)
    sam = Therapist.objects.get(service=clinic.service, name="Sam Fictional")
    shifts = sorted(
        sam.working_patterns.values_list("weekday", "start_time", "every_weeks", "online_bookable")
    )
    assert shifts == [(5, time(9), 1, True), (5, time(13), 1, True), (6, time(9), 2, False)]
    assert list(Team.objects.get(service=clinic.service, name="North").therapists.all()) == [sam]
    jo = WorkingPattern.objects.get(therapist__name="Jo Example")
    assert (jo.effective_from, jo.effective_to) == (TODAY, date(2027, 3, 31))
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_DONE).count() == 1


def test_imported_shifts_are_offered_to_patients_of_a_rule_with_the_new_team(
    clinic: Clinic,
) -> None:
    client = logged_in(clinic.admin)
    confirm(client, THERAPISTS, THERAPIST_FILE)
    rule = clinic.rule
    rule.therapists.clear()
    rule.team = Team.objects.get(name="North")
    rule.save()
    weekend = [t for t in rule_available_times(rule, timezone.now()) if t.weekday() >= 5]
    # Saturdays 12th and 19th; the Sunday shift is staff only.
    assert [(t.day, t.hour) for t in weekend] == [
        (day, hour) for day in (12, 19) for hour in (9, 10, 13, 14)
    ]


def test_one_bad_row_imports_nothing_and_says_what_is_wrong(clinic: Clinic) -> None:
    content = THERAPIST_FILE + "Kim Fictional,,Funday,9am,17:00,5,31/02/2027,,maybe\n"
    client = logged_in(clinic.admin)
    preview = upload(client, THERAPISTS, content)
    page = text(preview)
    assert preview.status_code == 400
    assert "Nothing has been imported" in page
    for words in (
        "“Funday” is not a day of the week",
        "The start time “9am” should look like 09:00",
        "“Every weeks” is “5”",
        "“From” is “31/02/2027”",
        "“Bookable online” is “maybe”",
    ):
        assert words in page
    refused = confirm(client, THERAPISTS, content)
    assert refused.status_code == 400
    assert not Therapist.objects.filter(name__in=["Sam Fictional", "Kim Fictional"]).exists()
    assert not Team.objects.filter(name="North").exists()


def test_a_therapist_already_on_slotlink_is_a_problem_not_a_second_copy(clinic: Clinic) -> None:
    name = clinic.therapists[0].name
    content = f"Therapist,Day,Starts,Ends\n{name},Saturday,09:00,12:00\n"
    page = text(upload(logged_in(clinic.admin), THERAPISTS, content))
    assert f"A therapist called {name} is already on Slotlink" in page
    assert Therapist.objects.filter(name=name).count() == 1


def test_overlapping_shifts_in_the_file_are_a_problem() -> None:
    rows = read_csv(
        b"Therapist,Day,Starts,Ends\nSam,Monday,09:00,12:00\nSam,Mon,11:00,13:00\n", THERAPISTS
    )
    check_therapists(rows, TODAY, [])
    assert rows[0].problems == []
    assert rows[1].problems == ["Overlaps Sam’s shift on line 2."]


def test_a_therapist_without_shifts_is_allowed() -> None:
    rows = read_csv(b"Therapist\nSam Fictional\n", THERAPISTS)
    assert check_therapists(rows, TODAY, []) == {}
    assert rows[0].problems == []


# Patients


def test_patients_are_previewed_then_imported_with_checked_details(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    assert "2 rows ready to import" in text(upload(client, PATIENTS, PATIENT_FILE))
    assert not Patient.objects.filter(nhs_number=NHS[0]).exists()
    confirm(client, PATIENTS, PATIENT_FILE)
    alex = Patient.objects.get(nhs_number=NHS[0])
    bea = Patient.objects.get(nhs_number=NHS[1])
    assert (alex.service, alex.mobile, alex.date_of_birth) == (
        clinic.service,
        "+447700900123",
        date(1990, 4, 12),
    )
    assert (bea.mobile, bea.preferred_language, bea.date_of_birth) == (
        "",
        Language.WELSH,
        date(1985, 11, 3),
    )
    created = AuditEvent.objects.filter(action=AuditAction.PATIENT_CREATED)
    assert set(created.values_list("patient_id", flat=True)) == {alex.pk, bea.pk}


def test_bad_patient_rows_are_each_explained(clinic: Clinic) -> None:
    bad_check = NHS[2][:-1] + str((int(NHS[2][-1]) + 1) % 10)
    content = (
        "First name,Last name,Date of birth,NHS number,Mobile,Email,Language\n"
        f",Fictional,12/04/1990,{bad_check},01134960000,not-an-email,French\n"
        f"Cal,Example,31/02/1990,{clinic.patient.nhs_number},,,\n"
        f"Dee,Example,01/01/2090,{NHS[3]},,,\n"
        f"Eve,Example,01/01/1970,{NHS[3]},,,\n"
    )
    page = text(upload(logged_in(clinic.admin), PATIENTS, content))
    for words in (
        "The first name is missing",
        f"“{bad_check}” is not a valid NHS number",
        "“01134960000” is not a UK mobile number",
        "“not-an-email” is not an email address",
        "The language “French” should be English or Welsh",
        "The date of birth “31/02/1990” should be a past date",
        "The date of birth “01/01/2090” should be a past date",
        "The same NHS number is on line 4.",
    ):
        assert words in page, words
    assert Patient.objects.filter(service=clinic.service).count() == 1


def test_a_number_already_on_the_caseload_is_a_problem(clinic: Clinic) -> None:
    content = (
        "First name,Last name,Date of birth,NHS number\n"
        f"Cal,Example,01/01/1970,{clinic.patient.nhs_number}\n"
    )
    page = text(upload(logged_in(clinic.admin), PATIENTS, content))
    assert "A patient with this NHS number is already on the caseload" in page


def test_the_same_name_and_birth_date_is_a_warning_not_a_refusal(clinic: Clinic) -> None:
    patient = clinic.patient
    content = (
        "First name,Last name,Date of birth\n"
        f"{patient.first_name.upper()},{patient.last_name},{patient.date_of_birth:%d/%m/%Y}\n"
        "Sam,Twin,01/01/1970\nsam,twin,1970-01-01\n"
    )
    client = logged_in(clinic.admin)
    page = text(upload(client, PATIENTS, content))
    assert "Warning: A patient with this name and date of birth is already on the caseload" in page
    assert "Warning: The same name and date of birth are on line 3." in page
    assert "3 rows ready to import" in page
    confirm(client, PATIENTS, content)
    assert Patient.objects.filter(last_name__iexact="Twin").count() == 2


def test_a_row_made_a_duplicate_since_the_preview_imports_nothing(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    upload(client, PATIENTS, PATIENT_FILE)
    Patient.objects.create(
        service=clinic.service,
        first_name="Someone",
        last_name="Else",
        date_of_birth=date(1970, 1, 1),
        nhs_number=NHS[1],
    )
    refused = confirm(client, PATIENTS, PATIENT_FILE)
    assert refused.status_code == 400
    assert "Nothing has been imported" in text(refused)
    assert not Patient.objects.filter(nhs_number=NHS[0]).exists()


# Files that cannot be read at all


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty"),
        (b"   \n\n", "The file is empty"),
        (b"First name,Last name,Date of birth\n", "The file has a heading but no rows"),
        (b"Name,Born\nAlex,1990\n", "columns headed “First name”, “Last name”, “Date of birth”"),
        (b"PK\x03\x04\x00\x00binary", "This is not a CSV file"),
        (b'First name,Last name,Date of birth\n"Alex,Fictional\n', "could not be read as CSV"),
        (b"x" * (1024 * 1024 + 1), "larger than 1 MB"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_in_words(
    clinic: Clinic, content: bytes, words: str
) -> None:
    response = upload(logged_in(clinic.admin), PATIENTS, content)
    assert response.status_code == 400
    assert words in text(response)


def test_too_many_rows_are_refused() -> None:
    content = "Therapist\n" + "".join(f"T{n}\n" for n in range(MAX_ROWS + 1))
    with pytest.raises(CsvFileError, match="more than 5,000 rows"):
        read_csv(content.encode(), THERAPISTS)


def test_windows_encoded_files_and_semicolons_are_read() -> None:
    content = "First name;Last name;Date of birth\nZoë;Fictional;01/02/1980\n".encode("cp1252")
    rows = read_csv(content, PATIENTS)
    assert rows[0].cells["first_name"] == "Zoë"
    found = check_patients(rows, TODAY, lambda numbers: set(), lambda people: set())
    assert found[rows[0].number].date_of_birth == date(1980, 2, 1)


def test_a_missing_file_or_an_unknown_kind_is_no_server_error(clinic: Clinic) -> None:
    client = logged_in(clinic.admin)
    empty = client.post(reverse("clinic:import_upload", args=[PATIENTS]), {})
    assert empty.status_code == 400
    assert "Choose a CSV file to upload" in text(empty)
    assert client.post("/setup/import/staff/", {}).status_code == 404
    assert client.post(reverse("clinic:import_confirm", args=[PATIENTS]), {}).status_code == 400


@pytest.mark.parametrize("kind", [THERAPISTS, PATIENTS])
def test_the_example_files_download_and_import_cleanly(clinic: Clinic, kind: str) -> None:
    client = logged_in(clinic.admin)
    response = client.get(reverse("clinic:import_example", args=[kind]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.decode() == EXAMPLES[kind]
    preview = upload(client, kind, response.content)
    assert preview.status_code == 200, text(preview)
    assert "ready to import" in text(preview)


def test_a_full_file_of_patients_imports_whole(clinic: Clinic) -> None:
    """The largest file allowed: every row checked against the file and the caseload, then
    all of them written in one transaction."""
    rows = "".join(
        f"Person,Number{n},01/01/1970,{demo_nhs_number(400_000 + n)},07700 9{n % 1000:05d}\n"
        for n in range(MAX_ROWS)
    )
    content = "First name,Last name,Date of birth,NHS number,Mobile\n" + rows
    client = logged_in(clinic.admin)
    assert f"{MAX_ROWS:,} rows ready to import".replace(",", "") in text(
        upload(client, PATIENTS, content)
    ).replace(",", "")
    assert "All 5000 rows imported" in text(confirm(client, PATIENTS, content))
    assert Patient.objects.filter(service=clinic.service, first_name="Person").count() == MAX_ROWS
