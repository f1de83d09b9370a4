"""Answering: the patient opens their form link, answers question by question (each answer
kept at once, so they can leave and come back), checks and submits each form once. Risk is
judged as each answer is kept: PHQ-9 question 9 above "Not at all" alerts a clinician at
once, whether or not the form is ever submitted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from slotlink.audit.models import AuditAction, Who
from slotlink.audit.services import audit_record
from slotlink.clinic.models import AppointmentStatus, InternalMessage, PatientAlert, Role, User
from slotlink.domain.questionnaires.answers import (
    Answer,
    Cleaned,
    Problem,
    Refusal,
    clean_answer,
)
from slotlink.domain.questionnaires.forms import FormDefinition, QuestionKind
from slotlink.domain.questionnaires.scoring import Result, score
from slotlink.lib.crypto import token_hash
from slotlink.lib.formatting import when
from slotlink.questionnaires.models import (
    OPEN_STATUSES,
    FormLink,
    FormRequest,
    FormRequestEvent,
    RequestStatus,
)
from slotlink.questionnaires.services.forms import version_definition

PATIENT = "patient"
RISK_ABOUT = "form_request"


class FormClosed(Exception):
    """The form can no longer be answered: submitted, withdrawn or expired."""


def form_link_find(token: str) -> FormLink | None:
    return (
        FormLink.objects.select_related("service", "patient", "appointment")
        .filter(token_hash=token_hash(token))
        .first()
    )


def form_link_usable(link: FormLink, now: datetime) -> bool:
    """Open while its appointment is booked and has not begun, and the service is on."""
    appointment = link.appointment
    return (
        link.service.active
        and appointment.status == AppointmentStatus.BOOKED
        and now < appointment.start
    )


def form_link_open(*, link: FormLink, now: datetime | None = None) -> None:
    """Record the first open (GETs change nothing else: previewers fetch links too)."""
    now = now or timezone.now()
    if FormLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=now):
        audit_record(
            action=AuditAction.FORMS_OPENED,
            by=Who.PATIENT,
            subject=link,
            patient_id=link.patient_id,
            service_id=link.service_id,
            now=now,
        )


def form_request_start(*, request: FormRequest, now: datetime | None = None) -> None:
    """The patient began this form: sent -> opened, once."""
    now = now or timezone.now()
    if FormRequest.objects.filter(pk=request.pk, status=RequestStatus.SENT).update(
        status=RequestStatus.OPENED, opened_at=now
    ):
        FormRequestEvent.objects.create(
            request=request, status=RequestStatus.OPENED, at=now, by=PATIENT
        )


def stored_answer(value: Answer) -> Any:
    """An answer as JSON holds it: dates as ISO text; the rest as they are."""
    return value.isoformat() if isinstance(value, date) else value


def loaded_answers(definition: FormDefinition, stored: dict[str, Any]) -> dict[str, Answer]:
    """Stored answers back as cleaning gives them (dates as dates)."""
    answers: dict[str, Answer] = {}
    for question in definition.questions:
        value = stored.get(question.key)
        if value is None:
            continue
        if question.kind is QuestionKind.DATE and isinstance(value, str):
            try:
                answers[question.key] = date.fromisoformat(value)
            except ValueError:
                continue
        else:
            answers[question.key] = value
    return answers


def _locked_open(request: FormRequest) -> FormRequest:
    locked = (
        FormRequest.objects.select_for_update()
        .select_related("version", "link__appointment", "link__service", "patient")
        .get(pk=request.pk)
    )
    if locked.status not in OPEN_STATUSES or not form_link_usable(locked.link, timezone.now()):
        raise FormClosed
    return locked


def form_answer_save(
    *, request: FormRequest, key: str, raw: object, now: datetime | None = None
) -> Cleaned:
    """Keep one answer (or clear an optional one), or return the error saying how to put it
    right. Raises FormClosed once the form cannot be answered any more."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_open(request)
        definition = version_definition(locked.version)
        question = definition.question(key)
        if question is None:
            return Cleaned.refused(Refusal(Problem.NOT_IN_FORM))
        cleaned = clean_answer(question, raw)
        if cleaned.error is not None:
            return cleaned
        answers = dict(locked.answers)
        if cleaned.value is None:
            answers.pop(key, None)
        else:
            answers[key] = stored_answer(cleaned.value)
        FormRequest.objects.filter(pk=locked.pk).update(answers=answers)
        if locked.status == RequestStatus.SENT:
            form_request_start(request=locked, now=now)
        result = score(definition, loaded_answers(definition, answers))
        if result.risk:
            risk_alert_raise(request=locked, definition=definition, now=now)
    return cleaned


def form_request_submit(*, request: FormRequest, now: datetime | None = None) -> Result:
    """Submit the form: scored and frozen, once. A second submit (a double tap, a replayed
    post) changes nothing and returns the same result. Raises FormClosed for a withdrawn or
    expired form, and returns an incomplete result (nothing saved) while answers are missing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            FormRequest.objects.select_for_update()
            .select_related("version", "link__appointment", "link__service", "patient")
            .get(pk=request.pk)
        )
        definition = version_definition(locked.version)
        result = score(definition, loaded_answers(definition, locked.answers))
        if locked.status == RequestStatus.COMPLETED:
            return result
        if locked.status not in OPEN_STATUSES or not form_link_usable(locked.link, now):
            raise FormClosed
        if not result.complete:
            return result
        FormRequest.objects.filter(pk=locked.pk).update(
            status=RequestStatus.COMPLETED,
            completed_at=now,
            total=result.total,
            band=result.band or "",
            caseness=result.caseness,
            risk=result.risk,
        )
        FormRequestEvent.objects.create(
            request=locked, status=RequestStatus.COMPLETED, at=now, by=PATIENT
        )
        audit_record(
            action=AuditAction.FORM_SUBMITTED,
            by=Who.PATIENT,
            subject=locked,
            patient_id=locked.patient_id,
            service_id=locked.link.service_id,
            details={"form": definition.name, "version": locked.version.number},
            now=now,
        )
        if result.risk:
            risk_alert_raise(request=locked, definition=definition, now=now)
    return result


def risk_alert_raise(
    *, request: FormRequest, definition: FormDefinition, now: datetime | None = None
) -> PatientAlert | None:
    """Flag the record and tell the patient's therapist at once, or, with no therapist who
    can be told, everyone on the service's duty inbox. Once per form request; None if it was
    raised already."""
    now = now or timezone.now()
    patient = request.patient
    appointment = request.link.appointment
    summary = f"{definition.name}: thoughts of self-harm or of being better off dead"
    try:
        with transaction.atomic():
            alert = PatientAlert.objects.create(
                service_id=patient.service_id,
                patient=patient,
                raised_at=now,
                summary=summary,
                about_kind=RISK_ABOUT,
                about_id=request.pk,
            )
    except IntegrityError:
        return None
    FormRequest.objects.filter(pk=request.pk).update(risk=True)
    recipients = risk_recipients(appointment.therapist.user, patient.service_id)
    body = (
        f"{patient.full_name} answered {definition.name} question 9 (thoughts that they would "
        f'be better off dead, or of hurting themselves) above "Not at all", before their '
        f"appointment on {when(appointment.start, appointment.service.zone)}. Please contact "
        "them today and follow the service's risk procedure. The alert stays on their record "
        "until a clinician acknowledges it."
    )
    for recipient in recipients:
        # Straight into the inbox, whether or not the service uses Messages otherwise: this
        # path must never be silent.
        InternalMessage.objects.create(
            service_id=patient.service_id,
            recipient=recipient,
            subject=f"URGENT: risk flagged by {patient.full_name}",
            body=body,
            appointment=appointment,
            created_at=now,
        )
    audit_record(
        action=AuditAction.RISK_ALERT_RAISED,
        by=Who.PATIENT,
        subject=alert,
        patient_id=patient.pk,
        service_id=patient.service_id,
        details={"recipients": len(recipients), "form": definition.name},
        now=now,
    )
    return alert


def risk_recipients(therapist_user: User | None, service_id: int) -> list[User]:
    """The therapist, if they have an active account in the service; otherwise the duty
    inbox: every active admin and superuser of the service."""
    if (
        therapist_user is not None
        and therapist_user.is_active
        and therapist_user.service_id == service_id
    ):
        return [therapist_user]
    return list(
        User.objects.filter(
            service_id=service_id, is_active=True, role__in=[Role.ADMIN, Role.SUPERUSER]
        ).order_by("pk")
    )
