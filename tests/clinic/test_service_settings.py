"""Service settings as a superuser manages them: who may, what is checked (the logo above
all, by its bytes), secrets never shown back, every change recorded, and what patients see."""

import html
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.images import looks_like_svg, sniff_image
from slotlink.clinic.models import Nation, Service, SettingsChange, SmsProvider
from slotlink.lib.crypto import decrypt
from tests.conftest import Clinic, logged_in

pytestmark = pytest.mark.usefixtures("frozen_now")

SECRET = "notify-live-key-0123456789abcdefWXYZ"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def png_bytes(width: int = 40, height: int = 20) -> bytes:
    """A real, decodable PNG: white RGB pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff" * (3 * width) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes(width: int = 120, height: int = 60) -> bytes:
    """The start of a baseline JPEG: SOI, a JFIF APP0 segment, then the frame header."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00" * 3
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def superuser_client(clinic: Clinic) -> Client:
    return logged_in(clinic.superuser)


def settings_form(service: Service, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": service.name,
        "phone": service.phone,
        "website": service.website,
        "cancellation_policy_url": service.cancellation_policy_url,
        "sms_sender_name": "TestTT",
        "reminder_hours": "48, 2",
        "quiet_from": "21:00",
        "quiet_until": "08:00",
        "nation": Nation.ENGLAND,
        "closed_on_bank_holidays": "on",
        "online_booking_enabled": "on",
        "uses_messages": "on",
        "sms_provider": "",
        "sms_account_id": "",
        "sms_secret": "",
    }
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


# Who may


def test_only_superusers_reach_the_settings(clinic: Clinic) -> None:
    for user in (clinic.therapist_user, clinic.admin):
        client = logged_in(user)
        assert client.get("/settings/").status_code == 403
        response = client.post("/settings/", settings_form(clinic.service, name="Hijacked"))
        assert response.status_code == 403
    assert logged_in(clinic.superuser).get("/settings/").status_code == 200
    assert Client().get("/settings/").status_code == 302
    clinic.service.refresh_from_db()
    assert clinic.service.name != "Hijacked"


def test_a_superuser_only_ever_changes_their_own_service(
    clinic: Clinic, other_clinic: Clinic
) -> None:
    client = logged_in(other_clinic.superuser)
    page = text(client.get("/settings/"))
    assert other_clinic.service.name in page and clinic.service.name not in page
    client.post("/settings/", settings_form(other_clinic.service, name="Renamed elsewhere"))
    clinic.service.refresh_from_db()
    other_clinic.service.refresh_from_db()
    assert clinic.service.name != "Renamed elsewhere"
    assert other_clinic.service.name == "Renamed elsewhere"


# Saving


def test_superuser_saves_the_settings_and_the_change_is_recorded(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/",
        settings_form(
            clinic.service,
            name="Leeds Talking Therapies",
            phone="0113 496 0999",
            reminder_hours="2, 48,24",
            quiet_from="20:30",
            quiet_until="09:00",
            nation=Nation.WALES,
            closed_on_bank_holidays=None,
            uses_messages=None,
            quick_exit_enabled="on",
        ),
    )
    assert response.status_code == 302
    service = Service.objects.get(pk=clinic.service.pk)
    assert service.name == "Leeds Talking Therapies"
    assert service.reminder_hours_before == [48, 24, 2]
    assert (f"{service.quiet_from:%H:%M}", f"{service.quiet_until:%H:%M}") == ("20:30", "09:00")
    assert service.nation == Nation.WALES
    assert not service.closed_on_bank_holidays and not service.uses_messages
    assert service.quick_exit_enabled and service.online_booking_enabled
    change = SettingsChange.objects.get(service=service)
    assert change.changed_by == clinic.superuser
    assert change.subject == "Service settings"
    assert set(change.fields) >= {"name", "phone", "reminder_hours_before", "nation"}
    page = text(superuser_client.get("/settings/"))
    assert "Settings saved." in page
    assert "Recent changes" in page and "reminder texts" in page


def test_saving_unchanged_settings_records_nothing(
    clinic: Clinic, superuser_client: Client
) -> None:
    form = settings_form(clinic.service, sms_sender_name="", reminder_hours="")
    superuser_client.post("/settings/", form)
    first = SettingsChange.objects.count()
    response = superuser_client.post("/settings/", form, follow=True)
    assert "Nothing had changed." in text(response)
    assert SettingsChange.objects.count() == first


def test_switching_online_booking_off_hides_the_section_and_stops_links(
    clinic: Clinic, superuser_client: Client
) -> None:
    superuser_client.post("/settings/", settings_form(clinic.service, online_booking_enabled=None))
    page = text(logged_in(clinic.admin).get(f"/patients/{clinic.patient.pk}/care-pathway/"))
    assert "Online appointment booking is switched off for this service." in page


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"name": " "}, "Enter the service's name."),
        ({"phone": "not a phone"}, "Enter a UK phone number, for example 0113 496 0123."),
        ({"website": "http://www.example.com/"}, "Enter an address starting with https://"),
        ({"cancellation_policy_url": "ftp://x.example/"}, "Enter an address starting with https"),
        ({"website": "not a web address"}, "Enter the website's address, starting with https://"),
        ({"sms_sender_name": "A"}, "Use 3 to 11 letters, digits or spaces"),
        ({"sms_sender_name": "0113496050"}, "including at least one letter"),
        ({"sms_sender_name": "Far-too-long-name"}, "Ensure this value has at most 11"),
        ({"reminder_hours": "48, two"}, "Enter whole numbers of hours separated by commas."),
        ({"reminder_hours": "0"}, "Each reminder must be between 1 and 336 hours before."),
        ({"reminder_hours": "48, 48"}, "Each reminder time may appear only once."),
        ({"reminder_hours": "1,2,3,4,5,6"}, "Send at most 5 reminders."),
        ({"quiet_until": ""}, "Give both ends of the quiet hours, or neither."),
        ({"quiet_until": "21:00"}, "Quiet hours must end at a different time."),
        ({"sms_provider": SmsProvider.NOTIFY}, "Enter the ID this provider needs."),
        (
            {"sms_provider": SmsProvider.TWILIO, "sms_account_id": "AC123"},
            "Enter the provider's API key or auth token.",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused_with_a_reason(
    clinic: Clinic, superuser_client: Client, changes: dict[str, Any], field_message: str
) -> None:
    before = Service.objects.get(pk=clinic.service.pk)
    response = superuser_client.post("/settings/", settings_form(clinic.service, **changes))
    assert response.status_code == 400
    assert field_message in text(response)
    after = Service.objects.get(pk=clinic.service.pk)
    assert (after.name, after.phone, after.reminder_hours_before) == (
        before.name,
        before.phone,
        before.reminder_hours_before,
    )
    assert not SettingsChange.objects.exists()


def test_empty_quiet_hours_mean_none(clinic: Clinic, superuser_client: Client) -> None:
    superuser_client.post(
        "/settings/", settings_form(clinic.service, quiet_from="", quiet_until="")
    )
    service = Service.objects.get(pk=clinic.service.pk)
    assert service.quiet_from is None and service.quiet_until is None


# The logo


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_png_logo_is_stored_under_a_name_slotlink_chooses_and_shown_to_patients(
    clinic: Clinic, superuser_client: Client, media_in_tmp: Path
) -> None:
    response = superuser_client.post(
        "/settings/",
        {**settings_form(clinic.service), "logo": upload("../../evil.png", png_bytes())},
    )
    assert response.status_code == 302
    service = Service.objects.get(pk=clinic.service.pk)
    assert service.logo.name.startswith(f"logos/service-{service.pk}-")
    assert service.logo.name.endswith(".png") and "evil" not in service.logo.name
    assert (media_in_tmp / service.logo.name).read_bytes() == png_bytes()
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = Client()
    patient.get(f"/b/{token}")
    assert f'src="/media/{service.logo.name}" alt="">' in text(patient.get("/book/"))


def test_a_jpeg_logo_gets_a_jpg_name_whatever_it_was_called(
    clinic: Clinic, superuser_client: Client
) -> None:
    superuser_client.post(
        "/settings/", {**settings_form(clinic.service), "logo": upload("logo.png", jpeg_bytes())}
    )
    assert Service.objects.get(pk=clinic.service.pk).logo.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("logo.svg", SVG, "SVG images are not accepted (they can carry code)."),
        ("logo.png", SVG, "SVG images are not accepted"),
        ("logo.png", b"GIF89a" + b"\x00" * 100, "The file is not a PNG or JPEG image"),
        ("logo.png", b"<html><body>hello</body></html>", "The file is not a PNG or JPEG image"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 4, "The file is not a PNG or JPEG image"),
        ("logo.jpg", b"\xff\xd8\xff\xd9", "The file is not a PNG or JPEG image"),
        ("big.png", png_bytes() + b"\x00" * (200 * 1024), "The logo must be 200 KB or smaller."),
        ("wide.png", png_bytes(1200, 10), "The logo is 1200 × 10 pixels"),
    ],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(
    clinic: Clinic,
    superuser_client: Client,
    media_in_tmp: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    response = superuser_client.post(
        "/settings/", {**settings_form(clinic.service), "logo": upload(name, data)}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert not Service.objects.get(pk=clinic.service.pk).logo
    assert not list(media_in_tmp.rglob("*.*"))


def test_replacing_and_removing_the_logo_deletes_the_old_file(
    clinic: Clinic,
    superuser_client: Client,
    media_in_tmp: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(
            "/settings/", {**settings_form(clinic.service), "logo": upload("a.png", png_bytes())}
        )
    first = Service.objects.get(pk=clinic.service.pk).logo.name
    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(
            "/settings/",
            {**settings_form(clinic.service), "logo": upload("b.png", png_bytes(8, 8))},
        )
    second = Service.objects.get(pk=clinic.service.pk).logo.name
    assert second != first
    assert not (media_in_tmp / first).exists() and (media_in_tmp / second).exists()
    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post("/settings/", settings_form(clinic.service, remove_logo="on"))
    assert not Service.objects.get(pk=clinic.service.pk).logo
    assert not (media_in_tmp / second).exists()


def test_image_sniffing_reads_sizes_from_the_bytes() -> None:
    png = sniff_image(png_bytes(31, 7))
    jpeg = sniff_image(jpeg_bytes(640, 480))
    assert png is not None and (png.kind, png.width, png.height) == ("png", 31, 7)
    assert jpeg is not None and (jpeg.kind, jpeg.width, jpeg.height) == ("jpeg", 640, 480)
    assert sniff_image(b"") is None
    assert sniff_image(b"\xff\xd8\xff\xe0\x00\x01") is None  # a segment too short to be one
    assert looks_like_svg(b"\xef\xbb\xbf  <svg viewBox='0 0 1 1'/>")
    assert not looks_like_svg(png_bytes())


# The SMS provider's secret


def test_the_provider_key_is_stored_encrypted_and_never_shown_back(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/",
        settings_form(
            clinic.service,
            sms_provider=SmsProvider.NOTIFY,
            sms_account_id="template-123",
            sms_secret=SECRET,
        ),
    )
    assert response.status_code == 302
    service = Service.objects.get(pk=clinic.service.pk)
    assert SECRET not in service.sms_secret_encrypted
    assert decrypt(service.sms_secret_encrypted) == SECRET
    page = superuser_client.get("/settings/").content.decode()
    assert SECRET not in page and SECRET[:-4] not in page
    assert "Set, ending …WXYZ" in html.unescape(page)
    assert 'type="password"' in page and 'name="sms_secret"' in page
    assert 'name="sms_secret" value=' not in page
    change = SettingsChange.objects.get(service=service)
    assert "sms_secret" in change.fields and SECRET not in repr(change.__dict__)


def test_leaving_the_key_empty_keeps_it_and_removing_it_clears_it(
    clinic: Clinic, superuser_client: Client
) -> None:
    form = settings_form(
        clinic.service, sms_provider=SmsProvider.TWILIO, sms_account_id="AC1", sms_secret=SECRET
    )
    superuser_client.post("/settings/", form)
    superuser_client.post("/settings/", {**form, "sms_secret": "", "name": "Renamed"})
    service = Service.objects.get(pk=clinic.service.pk)
    assert service.name == "Renamed" and decrypt(service.sms_secret_encrypted) == SECRET
    superuser_client.post(
        "/settings/",
        {**form, "sms_secret": "", "sms_provider": "", "clear_sms_secret": "on", "name": "R"},
    )
    assert Service.objects.get(pk=clinic.service.pk).sms_secret_encrypted == ""
    assert "Not set" in text(superuser_client.get("/settings/"))


def test_a_provider_needs_no_new_key_when_one_is_saved(
    clinic: Clinic, superuser_client: Client
) -> None:
    form = settings_form(
        clinic.service, sms_provider=SmsProvider.NOTIFY, sms_account_id="t-1", sms_secret=SECRET
    )
    superuser_client.post("/settings/", form)
    response = superuser_client.post("/settings/", {**form, "sms_secret": ""})
    assert response.status_code == 302


# "Leave this page"


def patient_page(clinic: Clinic) -> str:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    patient = Client()
    patient.get(f"/b/{token}")
    return text(patient.get("/book/"))


def test_quick_exit_comes_first_on_patient_pages_when_switched_on(
    clinic: Clinic, superuser_client: Client
) -> None:
    superuser_client.post("/settings/", settings_form(clinic.service, quick_exit_enabled="on"))
    page = patient_page(clinic)
    body = page[page.index("<body>") :]
    first_link = body[body.index("<a ") : body.index("</a>")]
    # Ours, so that leaving also ends the session (tests/portal/test_quick_exit.py).
    assert 'class="quick-exit" href="/leave/"' in first_link
    assert "Leave this page" in first_link
    assert body.index("quick-exit") < body.index("skip-link")


def test_quick_exit_is_absent_when_switched_off(clinic: Clinic) -> None:
    assert "Leave this page" not in patient_page(clinic)


def test_the_notices_are_written_in_english_and_welsh_side_by_side(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/",
        settings_form(
            clinic.service,
            accessibility_statement="We test with screen readers.",
            accessibility_statement_cy="Rydym yn profi gyda darllenwyr sgrin.",
            privacy_notice_cy="Ni yw'r rheolydd data.",
            feedback_url="https://www.example.com/feedback",
        ),
    )
    assert response.status_code == 302
    clinic.service.refresh_from_db()
    assert clinic.service.accessibility_statement_cy == "Rydym yn profi gyda darllenwyr sgrin."
    assert clinic.service.privacy_notice_cy == "Ni yw'r rheolydd data."
    assert clinic.service.feedback_url == "https://www.example.com/feedback"
    page = text(superuser_client.get("/settings/"))
    assert "Notices on every patient page (English and Welsh)" in page


def test_a_notice_keeps_no_html_and_refuses_an_insecure_link(
    clinic: Clinic, superuser_client: Client
) -> None:
    response = superuser_client.post(
        "/settings/",
        settings_form(clinic.service, privacy_notice="[Our policy](http://www.example.com/)"),
    )
    assert response.status_code == 400
    assert "The link to http://www.example.com/ is not secure" in text(response)
    superuser_client.post(
        "/settings/", settings_form(clinic.service, cookie_statement="<b>Hi</b> there")
    )
    clinic.service.refresh_from_db()
    assert "<b>" not in clinic.service.cookie_statement
