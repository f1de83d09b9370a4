"""manage.py scale_data: the made-up service at issue 18's size, checked at a small size. Its
rows go in through COPY, past the ORM, so these check what the ORM would have: valid NHS
numbers, one appointment per booked link and none without, no diary overlap, every change an
event."""

import nhs_number
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q

from slotlink.booking.models import BookingLink, BookingLinkEvent
from slotlink.clinic.models import Appointment, Patient, Service, User
from slotlink.clinic.selectors import patient_search
from slotlink.ops.management.commands.scale_data import LOADED


def test_it_says_it_needs_postgresql_on_sqlite(db: None) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only: runs in the SQLite pass")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("scale_data", "--patients", "10")


def test_it_refuses_sizes_below_one(db: None) -> None:
    with pytest.raises(CommandError, match="1 or more"):
        call_command("scale_data", "--patients", "0")


@pytest.fixture
def made(needs_postgres: None, transactional_db: None) -> Service:
    # VACUUM cannot run inside the transaction the plain `db` fixture wraps each test in.
    call_command("scale_data", "--patients", "300", "--links-per-patient", "5", "--therapists", "7")
    return Service.objects.get(name="Scale 300")


def test_it_makes_the_patients_and_links_asked_for(made: Service) -> None:
    assert Patient.objects.filter(service=made).count() == 300
    links = BookingLink.objects.filter(service=made)
    assert links.count() == 1500
    assert set(links.values_list("status", flat=True)) <= {
        "sent",
        "accessed",
        "booked",
        "expired",
        "deleted",
    }
    assert links.filter(status="booked").exists()
    numbers = list(Patient.objects.filter(service=made).values_list("nhs_number", flat=True))
    assert len(set(numbers)) == 300
    assert all(nhs_number.is_valid(n) and n.startswith("99") for n in numbers)


def test_every_booked_link_has_its_one_appointment_and_no_other_link_has_one(
    made: Service,
) -> None:
    booked = BookingLink.objects.filter(service=made, status="booked")
    with_one = booked.annotate(n=Count("appointments")).filter(n=1)
    assert with_one.count() == booked.count()
    assert not Appointment.objects.filter(service=made).exclude(booking_link__status="booked")
    assert not Appointment.objects.filter(service=made).exclude(patient=F("booking_link__patient"))


def test_no_therapist_has_two_appointments_at_once(made: Service) -> None:
    appointments = Appointment.objects.filter(service=made)
    overlapping = appointments.filter(
        Q(therapist__appointments__start__lt=F("end"))
        & Q(therapist__appointments__end__gt=F("start"))
        & ~Q(therapist__appointments__pk=F("pk"))
    )
    assert not overlapping.exists()


def test_every_link_has_its_sent_event_and_the_event_that_moved_it(made: Service) -> None:
    links = BookingLink.objects.filter(service=made)
    events = BookingLinkEvent.objects.filter(link__service=made)
    assert events.filter(to_status="sent", from_status="").count() == 1500
    moved = events.exclude(to_status="sent")
    assert moved.count() == links.exclude(status="sent").count()
    assert not moved.exclude(to_status=F("link__status")).exists()
    assert not moved.filter(to_status="booked", appointment__isnull=True).exists()


def test_staff_of_the_service_find_its_patients_by_name(made: Service) -> None:
    admin = User.objects.get(service=made)
    someone = Patient.objects.filter(service=made).first()
    assert someone is not None
    found = patient_search(admin, someone.last_name, limit=300)
    assert someone in found
    assert len(found) < 300  # surnames vary: a search is not the whole caseload


def test_a_second_run_renames_the_first_service_and_adds_another(made: Service) -> None:
    call_command("scale_data", "--patients", "10", "--links-per-patient", "1", "--therapists", "1")
    assert Service.objects.filter(name="Scale 300").count() == 1
    call_command("scale_data", "--patients", "10", "--links-per-patient", "1", "--therapists", "1")
    assert Service.objects.filter(name="Scale 10").count() == 1
    assert Service.objects.filter(name__startswith="Scale 10 (old").count() == 1


def test_each_link_keeps_the_time_of_the_event_that_moved_it(made: Service) -> None:
    """What the dashboard counts (see BookingLink): COPY bypasses the services that stamp it."""
    links = BookingLink.objects.filter(service=made)
    for status in ("accessed", "booked", "expired"):
        field = f"{status}_at"
        assert links.filter(status=status).exists()
        assert not links.filter(status=status, **{f"{field}__isnull": True}).exists()
        assert not links.exclude(status=status).filter(**{f"{field}__isnull": False}).exists()
        stamped = BookingLinkEvent.objects.filter(link__service=made, to_status=status)
        assert not stamped.exclude(occurred_at=F(f"link__{field}")).exists()


def test_the_foreign_keys_and_indexes_set_aside_for_the_load_are_back(made: Service) -> None:
    def catalogue() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid::regclass::text = ANY(%s)"
                " UNION SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
                " UNION SELECT attrelid::regclass::text, attnum || ' ' || attstattarget"
                " FROM pg_attribute WHERE attstattarget > 0 AND attrelid IN"
                " (SELECT indexrelid FROM pg_index WHERE indrelid::regclass::text = ANY(%s))",
                [LOADED, LOADED, LOADED],
            )
            return set(cursor.fetchall())

    before = catalogue()
    assert any("FOREIGN KEY" in definition for _, definition in before)
    assert ("patient_last_name_trgm", "1 1000") in before  # clinic 0019's statistics
    call_command("scale_data", "--patients", "10", "--links-per-patient", "2", "--therapists", "1")
    assert catalogue() == before
