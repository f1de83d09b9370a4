"""Demo and benchmark data: clearly fictional people, Ofcom's drama phone numbers."""

import random
from datetime import date, datetime, time, timedelta

import nhs_number
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import (
    Appointment,
    AppointmentType,
    ClinicalContact,
    Medium,
    Patient,
    Role,
    Service,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.ops.demo_forms import seed_demo_questionnaires

DEMO_SERVICE = "Demo Talking Therapies"
DEMO_LOGINS = [
    ("demo-super", Role.SUPERUSER, "Sasha", "Super"),
    ("demo-admin", Role.ADMIN, "Ari", "Admin"),
    ("demo-therapist", Role.THERAPIST, "Tam", "Therapist"),
]
# Runs Slotlink for every service: creates services, sees none of their patients.
DEMO_OPERATOR = ("demo-operator", Role.OPERATOR, "Olu", "Operator")
FIRST_NAMES = ["Alex", "Bea", "Cal", "Dee", "Eli", "Fen", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou"]
LAST_NAMES = ["Example", "Sample", "Testcase", "Placeholder", "Fictional", "Madeup", "Demo"]


def demo_nhs_number(n: int) -> str:
    """A valid number in the 999 range, which the NHS never issues, different for each n.

    Two neighbouring 9-digit stems have check digits that differ, so at most one of them is
    the impossible check digit 10."""
    for stem in (999_000_000 + 2 * n, 999_000_000 + 2 * n + 1):
        text = f"{stem}{_check_digit(stem)}"
        if nhs_number.is_valid(text):
            return text
    raise AssertionError("unreachable: one of two neighbouring stems is always valid")


def _check_digit(stem: int) -> int:
    total = sum(int(digit) * (10 - i) for i, digit in enumerate(f"{stem:09d}"))
    return (11 - total % 11) % 11


def drama_mobile(n: int) -> str:
    """07700 900000–900999: Ofcom keeps these for drama, so they reach nobody."""
    return f"+447700900{n % 1000:03d}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@transaction.atomic
def seed_demo_operator() -> User:
    """The demo operator (made once; a demo loaded before operators existed gains it)."""
    username, role, first, last = DEMO_OPERATOR
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, role=role, first_name=first, last_name=last)
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def seed_demo_service() -> tuple[Service, bool]:
    """The small demo service. Returns it and whether it was created just now."""
    existing = Service.objects.filter(name=DEMO_SERVICE).first()
    if existing is not None:
        return existing, False
    service = Service.objects.create(
        name=DEMO_SERVICE,
        phone="0113 496 0123",
        website="https://www.example.com/talking-therapies",
        cancellation_policy_url="https://www.example.com/talking-therapies/cancellations",
        sms_sender_name="DemoTT",
        online_booking_enabled=True,
        reminder_hours_before=[48, 2],
    )
    users = {}
    for username, role, first, last in DEMO_LOGINS:
        user = User(username=username, role=role, service=service, first_name=first, last_name=last)
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        users[username] = user
    therapists = [
        Therapist.objects.create(
            service=service, name="Tam Therapist", user=users["demo-therapist"]
        ),
        Therapist.objects.create(service=service, name="Robin Fictional"),
        Therapist.objects.create(service=service, name="Morgan Madeup"),
    ]
    start = _monday(timezone.localdate()) - timedelta(weeks=1)
    for therapist in therapists[:2]:
        for weekday in range(5):
            WorkingPattern.objects.create(
                therapist=therapist,
                weekday=weekday,
                start_time=time(9),
                end_time=time(17),
                effective_from=start,
            )
    for weekday in (1, 2, 3):  # part-time, Tuesday to Thursday, with late sessions
        WorkingPattern.objects.create(
            therapist=therapists[2],
            weekday=weekday,
            start_time=time(12),
            end_time=time(20),
            effective_from=start,
        )
    assessment = AppointmentType.objects.create(
        service=service, name="Assessment", duration_minutes=60
    )
    gsh = AppointmentType.objects.create(
        service=service, name="Guided self-help", duration_minutes=30
    )
    cbt = AppointmentType.objects.create(service=service, name="CBT", duration_minutes=60)
    welcome = (
        "We have set aside some times for you to choose from. Pick the one that suits you best.\n\n"
        "If none of them work for you, call us and we will find another time together."
    )
    confirmation = (
        "We will send you a reminder before your appointment.\n\n"
        "Read more about [what to expect](https://www.example.com/talking-therapies/what-to-expect)."
    )
    for title, appt_type, medium, location, chosen in [
        ("Assessment – telephone", assessment, Medium.TELEPHONE, "", therapists),
        ("Guided self-help – video", gsh, Medium.VIDEO, "", therapists[:2]),
        (
            "CBT – face to face",
            cbt,
            Medium.FACE_TO_FACE,
            "Example Health Centre, Room 2",
            therapists[1:],
        ),
    ]:
        rule = BroadcastRule.objects.create(
            service=service,
            title=title,
            appointment_type=appt_type,
            duration_minutes=appt_type.duration_minutes,
            medium=medium,
            location=location,
            slot_step_minutes=30 if appt_type.duration_minutes == 30 else 60,
            welcome_content=welcome,
            confirmation_content=confirmation,
        )
        rule.therapists.set(chosen)
    patients = [
        Patient.objects.create(
            service=service,
            first_name=first,
            last_name=last,
            date_of_birth=born,
            nhs_number=demo_nhs_number(i),
            mobile=drama_mobile(100 + i),
            email=f"{first.lower()}@example.com",
        )
        for i, (first, last, born) in enumerate(
            [
                ("Alex", "Example", date(1990, 4, 12)),
                ("Bea", "Sample", date(1985, 11, 3)),
                ("Cal", "Testcase", date(2001, 2, 28)),
                ("Dee", "Placeholder", date(1972, 7, 19)),
                ("Eli", "Fictional", date(1968, 9, 30)),
            ],
            start=1,
        )
    ]
    # Dee Placeholder, seen by Tam: weeks of past PHQ-9 and GAD-7 scores on the record.
    seed_demo_questionnaires(service, [assessment, gsh, cbt], patients[3], therapists[0])
    zone = service.zone
    tomorrow = timezone.localdate() + timedelta(days=1)
    for i, (therapist, hour) in enumerate(
        [(therapists[0], 10), (therapists[1], 14), (therapists[0], 15)]
    ):
        day = tomorrow + timedelta(days=i)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        begins = datetime.combine(day, time(hour), tzinfo=zone)
        appointment = Appointment.objects.create(
            service=service,
            therapist=therapist,
            patient=patients[3 + i % 2],
            appointment_type=cbt,
            start=begins,
            end=begins + timedelta(hours=1),
            location="Example Health Centre, Room 2",
        )
        ClinicalContact.objects.create(appointment=appointment)
    return service, True


@transaction.atomic
def seed_large_service(
    *, therapists: int, patients: int, weeks: int, booked: float, seed: int = 1
) -> Service:
    """A service shaped like the demo, at benchmark size: every therapist works Monday to
    Friday 09:00–17:00 and `booked` of their hours hold an appointment."""
    # Reproducible demo data, not security:
    rng = random.Random(seed)  # nosec B311
    name = f"Benchmark {therapists}x{weeks}"
    Service.objects.filter(name=name).update(name=f"{name} (old {rng.random():.6f})")
    service = Service.objects.create(name=name, phone="0113 496 0999", online_booking_enabled=True)
    staff = Therapist.objects.bulk_create(
        Therapist(service=service, name=f"Therapist {i:04d}") for i in range(therapists)
    )
    start = _monday(timezone.localdate())
    WorkingPattern.objects.bulk_create(
        WorkingPattern(
            therapist=t, weekday=d, start_time=time(9), end_time=time(17), effective_from=start
        )
        for t in staff
        for d in range(5)
    )
    cbt = AppointmentType.objects.create(service=service, name="CBT", duration_minutes=60)
    people = Patient.objects.bulk_create(
        Patient(
            service=service,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            date_of_birth=date(1960, 1, 1) + timedelta(days=rng.randrange(15000)),
            mobile=drama_mobile(i),
        )
        for i in range(patients)
    )
    zone = service.zone
    batch: list[Appointment] = []
    for week in range(weeks + 1):
        for weekday in range(5):
            day = start + timedelta(weeks=week, days=weekday)
            for therapist in staff:
                for hour in range(9, 17):
                    if rng.random() < booked:
                        begins = datetime.combine(day, time(hour), tzinfo=zone)
                        batch.append(
                            Appointment(
                                service=service,
                                therapist=therapist,
                                patient=rng.choice(people),
                                appointment_type=cbt,
                                start=begins,
                                end=begins + timedelta(hours=1),
                            )
                        )
            if len(batch) > 5000:
                Appointment.objects.bulk_create(batch)
                batch = []
    Appointment.objects.bulk_create(batch)
    rule = BroadcastRule.objects.create(
        service=service,
        title="CBT",
        appointment_type=cbt,
        duration_minutes=60,
        slot_step_minutes=30,
        min_notice_hours=24,
        horizon_days=weeks * 7,
    )
    rule.therapists.set(staff)
    return service
