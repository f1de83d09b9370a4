"""Bulk invitations: one rule's link to many patients, from a CSV of NHS numbers or a ticked
search. The file is checked whole, every row is previewed with what will happen to it,
nothing is sent before confirming, and nothing is ever sent twice."""

import html
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from slotlink.booking.invitations.imports import Entry, read_nhs_numbers
from slotlink.booking.invitations.selectors import bulk_finding_counts
from slotlink.booking.invitations.services import (
    bulk_invitation_confirm,
    bulk_invitation_prepare_upload,
    bulk_invitation_process,
)
from slotlink.booking.links.services import booking_link_send
from slotlink.booking.models import (
    BookingLink,
    BulkFinding,
    BulkInvitation,
    BulkInvitationRow,
    BulkResult,
    BulkStatus,
)
from slotlink.clinic.models import Patient
from slotlink.lib.csvfiles import CsvFileError
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.ops.demo import demo_nhs_number
from tests.conftest import MONDAY, Clinic, logged_in, run_tasks
from tests.factories import PatientFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

HTMX = {"HX-Request": "true"}
BAD_CHECKSUM = "9990000019"  # ten digits that fail the NHS number's check digit


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def csv_file(lines: list[str], name: str = "patients.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(), "text/csv")


def upload(client: Client, clinic: Clinic, file: SimpleUploadedFile) -> Any:
    return client.post("/bulk-invitations/upload/", {"rule": clinic.rule.pk, "file": file})


class Caseload:
    """Patients covering every outcome of the preview."""

    def __init__(self, clinic: Clinic) -> None:
        service = clinic.service
        self.ready = [clinic.patient, PatientFactory(service=service)]
        self.no_mobile = PatientFactory(service=service, mobile="")
        self.do_not_sms = PatientFactory(service=service, do_not_sms=True)
        self.discharged = PatientFactory(service=service, discharged_at=MONDAY)
        self.has_link = PatientFactory(service=service)
        booking_link_send(patient=self.has_link, rule=clinic.rule, sent_by=clinic.admin)
        self.unknown = demo_nhs_number(9000)  # valid, but nobody's here

    def lines(self) -> list[str]:
        ready = [p.nhs_number for p in self.ready]
        return [
            "Name,NHS number,Notes",
            f"First,{ready[0][:3]} {ready[0][3:6]} {ready[0][6:]},spaces are fine",
            f"Second,{ready[1]},",
            f"No mobile,{self.no_mobile.nhs_number},",
            f"No SMS,{self.do_not_sms.nhs_number},",
            f"Gone,{self.discharged.nhs_number},",
            f"Linked,{self.has_link.nhs_number},",
            f"Stranger,{self.unknown},",
            f"Typo,{BAD_CHECKSUM},",
            f"Again,{ready[1]},",
            ",,",  # blank rows are skipped, not counted
        ]


@pytest.fixture
def caseload(clinic: Clinic) -> Caseload:
    return Caseload(clinic)


@pytest.fixture
def admin(clinic: Clinic) -> Client:
    return logged_in(clinic.admin)


def findings(invitation: BulkInvitation) -> list[tuple[int, str]]:
    return list(invitation.rows.order_by("number").values_list("number", "finding"))


# Reading the file


def test_the_file_is_read_by_its_nhs_number_column_with_file_row_numbers() -> None:
    data = b"\xef\xbb\xbfSurname;NHS_No\r\nExample;999 000 0018\r\n\r\nSample;999-000-0026\r\n"
    assert read_nhs_numbers(data) == [Entry(2, "9990000018"), Entry(4, "9990000026")]


def test_a_single_column_file_with_a_heading_is_fine() -> None:
    assert read_nhs_numbers(b"nhs number\n9990000018") == [Entry(2, "9990000018")]


def test_windows_spreadsheet_text_is_read() -> None:
    data = "Name,NHS number\nZoë,9990000018\n".encode("cp1252")
    assert read_nhs_numbers(data) == [Entry(2, "9990000018")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\r\n", "The file is empty."),
        (b"NHS number\r\n", "The file has a heading but no NHS numbers under it."),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "This is not a CSV file"),
        (b"%PDF-1.7\n\x00\x01\x02", "This is not a CSV file"),
        (b"Name,Mobile\nAlex,07700900123\n", "The file needs a column headed “NHS number”"),
        (b"9990000018\n9990000026\n", "Its first row is: 9990000018"),
        (b'NHS number,Name\n9990000018,"unclosed\n', "The file could not be read as CSV"),
        (b'NHS number\n"99900"00018\n', "The file could not be read as CSV (near line 2)."),
        (b"NHS number\n" + b"9" * (2 * 1024 * 1024), "The file is larger than 2 MB."),
        (b"\x81\x8d\x8f\x90\x9d" * 3, "The file is not readable text."),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_whole_with_a_reason(
    data: bytes, message: str
) -> None:
    with pytest.raises(CsvFileError) as refused:
        read_nhs_numbers(data)
    assert message in str(refused.value)


def test_more_than_10000_rows_is_refused_and_10000_is_fine() -> None:
    rows = [f"{demo_nhs_number(n)}" for n in range(10_000)]
    assert len(read_nhs_numbers(("NHS number\n" + "\n".join(rows)).encode())) == 10_000
    with pytest.raises(CsvFileError, match="more than 10,000 rows"):
        read_nhs_numbers(("NHS number\n" + "\n".join([*rows, rows[0]])).encode())


# The preview


def test_the_preview_says_what_will_happen_to_every_row_and_sends_nothing(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    response = upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    assert response["Location"] == f"/bulk-invitations/{invitation.pk}/"
    assert findings(invitation) == [
        (2, BulkFinding.READY),
        (3, BulkFinding.READY),
        (4, BulkFinding.NO_MOBILE),
        (5, BulkFinding.DO_NOT_SMS),
        (6, BulkFinding.DISCHARGED),
        (7, BulkFinding.LIVE_LINK),
        (8, BulkFinding.UNKNOWN),
        (9, BulkFinding.INVALID),
        (10, BulkFinding.DUPLICATE),
    ]
    assert BookingLink.objects.count() == 1  # only the one sent before
    run_tasks()
    assert BookingLink.objects.count() == 1
    page = text(admin.get(response["Location"]))
    for label in [
        "Ready to send",
        "No mobile number",
        "Do not contact by SMS",
        "Discharged",
        "Already has a live link for this rule",
        "Unknown NHS number",
        "Invalid NHS number",
        "Duplicate row",
    ]:
        assert label in page
    assert "Send 2 booking links" in page
    assert caseload.ready[0].full_name in page
    assert "999 000 0019" in page


def test_confirming_sends_the_ready_rows_in_the_background_and_skips_the_rest(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    response = admin.post(f"/bulk-invitations/{invitation.pk}/confirm/")
    assert response.status_code == 302
    assert BulkInvitation.objects.get().status == BulkStatus.QUEUED
    assert set(BookingLink.objects.values_list("patient_id", flat=True)) == {caseload.has_link.pk}
    run_tasks()
    invitation.refresh_from_db()
    assert invitation.status == BulkStatus.DONE and invitation.finished_at is not None
    sent = BookingLink.objects.filter(rule=clinic.rule).exclude(patient=caseload.has_link)
    assert sorted(sent.values_list("patient_id", flat=True)) == sorted(p.pk for p in caseload.ready)
    assert {link.sent_by for link in sent} == {clinic.admin}
    assert OutboundMessage.objects.filter(kind=MessageKind.BOOKING_LINK).count() == 3
    results = dict(invitation.rows.values_list("number", "result"))
    assert results == {2: "sent", 3: "sent", **{n: "skipped" for n in range(4, 11)}}
    page = text(admin.get(f"/bulk-invitations/{invitation.pk}/"))
    assert "Finished" in page and "Sent</dt><dd>2" in page and "Skipped</dt><dd>7" in page


def test_repeating_the_same_upload_after_sending_sends_nothing_again(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    admin.post(f"/bulk-invitations/{invitation.pk}/confirm/")
    run_tasks()
    links_before = BookingLink.objects.count()
    # The same numbers in another order, under another file name.
    again = upload(
        admin, clinic, csv_file([caseload.lines()[0], *caseload.lines()[:0:-1]], "b.csv")
    )
    assert again["Location"] == f"/bulk-invitations/{invitation.pk}/"
    notice = text(admin.get(again["Location"]))
    assert f"This list was already sent for {clinic.rule.title}" in notice
    assert "Nothing has been sent again." in notice
    admin.post(f"/bulk-invitations/{invitation.pk}/confirm/")
    run_tasks()
    assert BulkInvitation.objects.count() == 1
    assert BookingLink.objects.count() == links_before


def test_uploading_again_before_confirming_checks_the_list_afresh(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    Patient.objects.filter(pk=caseload.no_mobile.pk).update(mobile="+447700900777")
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    assert dict(findings(invitation))[4] == BulkFinding.READY
    assert invitation.rows.count() == 9


def test_a_double_confirm_starts_one_run_and_sends_once(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    admin.post(f"/bulk-invitations/{invitation.pk}/confirm/")
    second = admin.post(f"/bulk-invitations/{invitation.pk}/confirm/", follow=True)
    assert "had already been confirmed; nothing was sent again" in text(second)
    run_tasks()
    assert bulk_invitation_process(invitation_id=invitation.pk) == 0
    assert BookingLink.objects.filter(patient__in=caseload.ready).count() == 2


def test_a_rerun_of_an_interrupted_send_sends_only_what_is_left(
    clinic: Clinic, caseload: Caseload
) -> None:
    entries = [Entry(2 + i, p.nhs_number) for i, p in enumerate(caseload.ready)]
    invitation, _ = bulk_invitation_prepare_upload(
        user=clinic.admin, rule=clinic.rule, entries=entries, file_name="x.csv"
    )
    bulk_invitation_confirm(invitation=invitation, user=clinic.admin)
    # A worker sent the first row and died before the rest.
    first = invitation.rows.order_by("number").first()
    assert first is not None
    link, _ = booking_link_send(patient=caseload.ready[0], rule=clinic.rule, sent_by=clinic.admin)
    BulkInvitationRow.objects.filter(pk=first.pk).update(result=BulkResult.SENT, link=link)
    BulkInvitation.objects.filter(pk=invitation.pk).update(status=BulkStatus.SENDING)
    assert bulk_invitation_process(invitation_id=invitation.pk) == 1
    assert BookingLink.objects.filter(patient=caseload.ready[0], rule=clinic.rule).count() == 1
    assert BookingLink.objects.filter(patient=caseload.ready[1], rule=clinic.rule).count() == 1


def test_a_patient_sent_a_link_between_preview_and_sending_is_skipped(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    booking_link_send(patient=caseload.ready[1], rule=clinic.rule, sent_by=clinic.therapist_user)
    Patient.objects.filter(pk=caseload.ready[0].pk).update(do_not_sms=True)
    admin.post(f"/bulk-invitations/{invitation.pk}/confirm/")
    run_tasks()
    rows = dict(invitation.rows.values_list("number", "reason"))
    assert rows[2] == "This patient's record says not to contact them by SMS."
    assert rows[3] == "Already has a live link for this rule"
    assert BookingLink.objects.filter(patient=caseload.ready[1]).count() == 1
    assert not BookingLink.objects.filter(patient=caseload.ready[0]).exists()


def test_confirming_a_deactivated_rule_sends_nothing(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    clinic.rule.active = False
    clinic.rule.save()
    response = admin.post(f"/bulk-invitations/{invitation.pk}/confirm/", follow=True)
    assert "This rule has been deactivated" in text(response)
    run_tasks()
    assert BulkInvitation.objects.get().status == BulkStatus.PREVIEW
    assert BookingLink.objects.count() == 1


def test_a_preview_can_be_discarded(clinic: Clinic, caseload: Caseload, admin: Client) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    admin.post(f"/bulk-invitations/{invitation.pk}/discard/")
    assert not BulkInvitation.objects.exists() and not BulkInvitationRow.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"Name\nAlex\n", "The file needs a column headed “NHS number”"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
    ],
)
def test_a_malformed_upload_is_refused_on_the_page_and_nothing_is_kept_or_sent(
    clinic: Clinic, admin: Client, content: bytes, message: str
) -> None:
    file = SimpleUploadedFile("list.csv", content, "text/csv")
    response = upload(admin, clinic, file)
    assert response.status_code == 400
    assert message in text(response)
    assert not BulkInvitation.objects.exists()
    run_tasks()
    assert not BookingLink.objects.exists()


def test_a_file_over_2_mb_is_refused_before_it_is_read(clinic: Clinic, admin: Client) -> None:
    file = SimpleUploadedFile("big.csv", b"NHS number\n" + b"1\n" * (1024 * 1024 + 10))
    response = upload(admin, clinic, file)
    assert response.status_code == 400
    assert "The file is larger than 2 MB." in text(response)


def test_a_rule_must_be_chosen(clinic: Clinic, caseload: Caseload, admin: Client) -> None:
    response = admin.post("/bulk-invitations/upload/", {"file": csv_file(caseload.lines())})
    assert response.status_code == 400
    assert "Choose the type of appointment link to send." in text(response)


def test_10000_rows_preview_in_a_few_seconds(clinic: Clinic, admin: Client) -> None:
    Patient.objects.bulk_create(
        Patient(
            service=clinic.service,
            first_name="Bulk",
            last_name=f"Example{n}",
            date_of_birth=clinic.patient.date_of_birth,
            nhs_number=demo_nhs_number(20_000 + n),
            mobile=f"+447700900{n % 1000:03d}",
        )
        for n in range(9_990)
    )
    numbers = [demo_nhs_number(20_000 + n) for n in range(9_990)]
    numbers += [demo_nhs_number(40_000 + n) for n in range(5)] + [BAD_CHECKSUM] * 5
    file = csv_file(["NHS number", *numbers], "big.csv")
    # CPU time of this process, not the wall clock: a busy machine (other test workers, CI
    # neighbours) stretches the wall clock without the preview doing more work.
    started = time.process_time()
    response = upload(admin, clinic, file)
    page = admin.get(response["Location"])
    elapsed = time.process_time() - started
    invitation = BulkInvitation.objects.get()
    counts = {k: v for k, v in bulk_finding_counts(invitation).items() if v}
    assert counts == {"ready": 9_990, "unknown": 5, "invalid": 5}
    assert "Send 9990 booking links" in text(page)
    assert elapsed < 8, f"preview took {elapsed:.1f}s of CPU"


# From a search


def test_admins_tick_patients_in_a_search_choose_a_rule_and_see_the_preview(
    clinic: Clinic, other_clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    page = text(admin.get("/patients/", {"q": "Alex"}))
    assert f'name="patient" value="{clinic.patient.pk}"' in page
    assert "Invite the ticked patients" in page
    ids = [caseload.ready[1].pk, caseload.no_mobile.pk, other_clinic.patient.pk]
    choose = admin.post("/bulk-invitations/selection/", {"patient": ids})
    assert choose.status_code == 200
    assert "Invite 3 patients" in text(choose)
    assert f'value="{clinic.rule.pk}"' in text(choose)
    response = admin.post("/bulk-invitations/selection/", {"patient": ids, "rule": clinic.rule.pk})
    invitation = BulkInvitation.objects.get()
    assert response["Location"] == f"/bulk-invitations/{invitation.pk}/"
    assert findings(invitation) == [(1, BulkFinding.READY), (2, BulkFinding.NO_MOBILE)]
    assert other_clinic.patient.full_name not in text(admin.get(response["Location"]))
    admin.post(f"/bulk-invitations/{invitation.pk}/confirm/")
    run_tasks()
    assert BookingLink.objects.filter(patient=caseload.ready[1]).count() == 1
    again = admin.post(
        "/bulk-invitations/selection/",
        {"patient": list(reversed(ids)), "rule": clinic.rule.pk},
        follow=True,
    )
    assert "Nothing has been sent again." in text(again)
    assert BulkInvitation.objects.count() == 1


def test_ticking_nobody_asks_again(clinic: Clinic, admin: Client) -> None:
    response = admin.post("/bulk-invitations/selection/", {"rule": clinic.rule.pk}, follow=True)
    assert "Tick at least one patient to invite." in text(response)


def test_ticks_that_are_not_patients_are_left_out(clinic: Clinic, admin: Client) -> None:
    junk = admin.post("/bulk-invitations/selection/", {"patient": ["abc", "-1", "0"]}, follow=True)
    assert "Tick at least one patient to invite." in text(junk)
    choose = admin.post("/bulk-invitations/selection/", {"patient": ["x", str(clinic.patient.pk)]})
    assert choose.status_code == 200
    assert "Invite 1 patient" in text(choose)
    assert "Choose the type of appointment link" not in text(choose), "no error before asking"


def test_a_rule_that_is_not_offered_is_asked_for_again(
    clinic: Clinic, other_clinic: Clinic, admin: Client
) -> None:
    for rule in ["", "abc", str(other_clinic.rule.pk)]:
        response = admin.post(
            "/bulk-invitations/selection/", {"patient": [clinic.patient.pk], "rule": rule}
        )
        assert response.status_code == 400, rule
        assert f'name="patient" value="{clinic.patient.pk}"' in text(response)
    assert not BulkInvitation.objects.exists()


def test_therapists_see_no_checkboxes(clinic: Clinic) -> None:
    page = text(logged_in(clinic.therapist_user).get("/patients/", {"q": "Alex"}))
    assert clinic.patient.full_name in page
    assert 'name="patient"' not in page


# Progress


def test_the_progress_polls_with_htmx_and_refreshes_without_javascript(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    preview = text(admin.get(f"/bulk-invitations/{invitation.pk}/"))
    assert "every 2s" not in preview and 'http-equiv="refresh"' not in preview
    admin.post(f"/bulk-invitations/{invitation.pk}/confirm/")
    page = text(admin.get(f"/bulk-invitations/{invitation.pk}/"))
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    fragment = admin.get(f"/bulk-invitations/{invitation.pk}/", headers=HTMX)
    assert text(fragment).lstrip().startswith('<div id="bulk-progress"')
    assert 'hx-trigger="every 2s"' in text(fragment)
    assert '<progress max="9" value="7"' in text(fragment)
    assert "HX-Refresh" not in fragment
    run_tasks()
    done = admin.get(f"/bulk-invitations/{invitation.pk}/", headers=HTMX)
    assert done["HX-Refresh"] == "true"
    assert "every 2s" not in text(done)
    assert 'http-equiv="refresh"' not in text(admin.get(f"/bulk-invitations/{invitation.pk}/"))


def test_the_row_table_can_show_only_the_rows_not_sent(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    page = text(admin.get(f"/bulk-invitations/{invitation.pk}/", {"only": "problems"}))
    assert caseload.no_mobile.full_name in page
    assert caseload.ready[1].full_name not in page


# Who may


def bulk_pages(invitation: BulkInvitation) -> list[tuple[str, str]]:
    return [
        ("get", "/bulk-invitations/"),
        ("post", "/bulk-invitations/upload/"),
        ("post", "/bulk-invitations/selection/"),
        ("get", f"/bulk-invitations/{invitation.pk}/"),
        ("post", f"/bulk-invitations/{invitation.pk}/confirm/"),
        ("post", f"/bulk-invitations/{invitation.pk}/discard/"),
    ]


def test_therapists_are_turned_away_from_bulk_invitations(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    therapist = logged_in(clinic.therapist_user)
    for method, url in bulk_pages(invitation):
        assert getattr(therapist, method)(url, {"patient": [clinic.patient.pk]}).status_code == 403
    assert BulkInvitation.objects.get().status == BulkStatus.PREVIEW
    assert logged_in(clinic.superuser).get(f"/bulk-invitations/{invitation.pk}/").status_code == 200


def test_another_services_staff_get_404_for_this_services_invitation(
    clinic: Clinic, other_clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    invitation = BulkInvitation.objects.get()
    for stranger in (other_clinic.admin, other_clinic.superuser):
        client = logged_in(stranger)
        for method, url in bulk_pages(invitation)[3:]:
            assert getattr(client, method)(url).status_code == 404, url
        assert "patients.csv" not in text(client.get("/bulk-invitations/"))
    run_tasks()
    assert BulkInvitation.objects.get().status == BulkStatus.PREVIEW
    assert BookingLink.objects.count() == 1


def test_a_stranger_cannot_upload_for_this_services_rule(
    clinic: Clinic, other_clinic: Clinic, caseload: Caseload
) -> None:
    response = upload(logged_in(other_clinic.admin), clinic, csv_file(caseload.lines()))
    assert response.status_code == 400
    assert "Choose the type of appointment link to send." in text(response)
    assert not BulkInvitation.objects.exists()


def test_links_sent_in_bulk_expire_like_any_other(
    clinic: Clinic, caseload: Caseload, admin: Client
) -> None:
    upload(admin, clinic, csv_file(caseload.lines()))
    admin.post(f"/bulk-invitations/{BulkInvitation.objects.get().pk}/confirm/")
    run_tasks()
    link = BookingLink.objects.filter(patient=caseload.ready[0]).get()
    assert link.expires_at == MONDAY + timedelta(days=clinic.rule.link_valid_days)
