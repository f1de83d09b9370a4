"""Factories for tests: fictional people, drama phone numbers, a service per test."""

from datetime import date, time

import factory
from django.conf import settings

from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import (
    Appointment,
    AppointmentType,
    Patient,
    Role,
    Service,
    Therapist,
    User,
    WorkingPattern,
)
from slotlink.ops.demo import demo_nhs_number, drama_mobile


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Test Talking Therapies {n}")
    phone = "0113 496 0500"
    website = "https://www.example.com/"
    cancellation_policy_url = "https://www.example.com/cancellations"
    online_booking_enabled = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    service = factory.SubFactory(ServiceFactory)
    role = Role.ADMIN
    password = factory.PostGenerationMethodCall("set_password", settings.DEMO_PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"Therapist Fictional {n}")


class WorkingPatternFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingPattern

    therapist = factory.SubFactory(TherapistFactory)
    weekday = 0
    start_time = time(9)
    end_time = time(17)
    effective_from = date(2026, 1, 5)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    service = factory.SubFactory(ServiceFactory)
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Example{n}")
    date_of_birth = date(1990, 4, 12)
    nhs_number = factory.Sequence(lambda n: demo_nhs_number(n + 1))
    mobile = factory.Sequence(lambda n: drama_mobile(n))


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType

    service = factory.SubFactory(ServiceFactory)
    name = "Assessment"
    duration_minutes = 60


class BroadcastRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BroadcastRule
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    title = factory.Sequence(lambda n: f"Assessment {n}")
    appointment_type = factory.SubFactory(
        AppointmentTypeFactory, service=factory.SelfAttribute("..service")
    )
    duration_minutes = 60
    slot_step_minutes = 60
    min_notice_hours = 24
    horizon_days = 14
    welcome_content = "Welcome. Read [about us](https://www.example.com/about)."
    confirmation_content = "See you soon."

    @factory.post_generation
    def therapists(self, create, extracted, **kwargs):
        if create and extracted:
            self.therapists.set(extracted)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    service = factory.SubFactory(ServiceFactory)
    therapist = factory.SubFactory(TherapistFactory, service=factory.SelfAttribute("..service"))
    patient = factory.SubFactory(PatientFactory, service=factory.SelfAttribute("..service"))
    appointment_type = factory.SubFactory(
        AppointmentTypeFactory, service=factory.SelfAttribute("..service")
    )


def patient_identity_form(patient: Patient) -> dict[str, str]:
    """Who the patient is, as the edit form an admin sees sends it back unchanged."""
    return {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "nhs_number": patient.nhs_number,
        "preferred_language": patient.preferred_language,
    }
