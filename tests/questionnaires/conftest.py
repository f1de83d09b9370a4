"""A clinic whose rule's appointment type gets PHQ-9 and GAD-7, and helpers to book one."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from slotlink.clinic.models import Appointment, AppointmentType, Patient
from slotlink.lib.crypto import decrypt
from slotlink.messaging.models import MessageKind, OutboundMessage
from slotlink.questionnaires.models import Builtin, Form, FormAssignment, FormLink
from slotlink.questionnaires.services import builtin_forms_ensure, form_link_url
from tests.conftest import Clinic
from tests.factories import AppointmentFactory


@dataclass
class FormsClinic:
    clinic: Clinic
    kind: AppointmentType
    phq9: Form
    gad7: Form


def assign(kind: AppointmentType, form: Form, hours_before: int | None = None) -> FormAssignment:
    return FormAssignment.objects.create(
        service_id=kind.service_id,
        appointment_type=kind,
        form=form,
        hours_before=hours_before,
        created_at=timezone.now() - timedelta(days=30),
    )


@pytest.fixture
def forms_clinic(clinic: Clinic) -> FormsClinic:
    builtin_forms_ensure()
    phq9 = Form.objects.get(builtin=Builtin.PHQ9)
    gad7 = Form.objects.get(builtin=Builtin.GAD7)
    kind = clinic.rule.appointment_type
    assign(kind, phq9)
    assign(kind, gad7)
    return FormsClinic(clinic, kind, phq9, gad7)


def book(
    fc: FormsClinic, start: datetime, *, patient: Patient | None = None, therapist_index: int = 0
) -> Appointment:
    clinic = fc.clinic
    appointment: Appointment = AppointmentFactory(
        service=clinic.service,
        therapist=clinic.therapists[therapist_index],
        patient=patient or clinic.patient,
        appointment_type=fc.kind,
        start=start,
        end=start + timedelta(hours=1),
    )
    return appointment


def form_texts(appointment: Appointment) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(
            appointment=appointment, kind__in=[MessageKind.FORM_LINK, MessageKind.FORM_REMINDER]
        ).order_by("pk")
    )


def token_of(link: FormLink) -> str:
    token = decrypt(link.token_encrypted)
    assert token is not None
    assert form_link_url(token).endswith(token)
    return token
