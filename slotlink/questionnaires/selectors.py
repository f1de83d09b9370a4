"""Reads of the questionnaires app, always from a service, a patient or a link."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from slotlink.clinic.models import Appointment, AppointmentType, Patient, Service
from slotlink.questionnaires.models import (
    Builtin,
    Form,
    FormAssignment,
    FormLink,
    FormRequest,
    RequestStatus,
)


def forms_for(service: Service) -> QuerySet[Form]:
    """The forms a service can send: the built-in instruments and its own."""
    return Form.objects.filter(Q(service=service) | Q(service__isnull=True)).order_by(
        "-builtin", "name", "pk"
    )


def service_form(service: Service, pk: int) -> Form | None:
    return Form.objects.filter(service=service, pk=pk).first()


def assignments_for(service: Service) -> QuerySet[FormAssignment]:
    return FormAssignment.objects.filter(service=service).select_related("form", "appointment_type")


def appointment_types_for(service: Service) -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(service=service).order_by("name", "pk")


def link_requests(link: FormLink) -> list[FormRequest]:
    return list(link.requests.select_related("form", "version").order_by("position", "pk"))


def patient_form_requests(patient: Patient) -> QuerySet[FormRequest]:
    """Every form asked of the patient, newest first."""
    return (
        FormRequest.objects.filter(patient=patient)
        .select_related("form", "version", "appointment", "link")
        .order_by("-created_at", "position", "pk")
    )


def appointment_form_requests(appointment: Appointment) -> QuerySet[FormRequest]:
    return (
        FormRequest.objects.filter(appointment=appointment)
        .select_related("form", "link")
        .order_by("created_at", "position", "pk")
    )


def patient_request(patient: Patient, pk: int) -> FormRequest | None:
    return patient_form_requests(patient).filter(pk=pk).prefetch_related("events").first()


def patient_scores(patient: Patient) -> list[FormRequest]:
    """Completed PHQ-9 and GAD-7, oldest first: the chart's points."""
    return list(
        FormRequest.objects.filter(
            patient=patient,
            status=RequestStatus.COMPLETED,
            form__builtin__in=[Builtin.PHQ9, Builtin.GAD7],
            total__isnull=False,
        )
        .select_related("form")
        .order_by("completed_at", "pk")
    )
