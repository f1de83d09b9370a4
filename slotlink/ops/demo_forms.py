"""The demo's questionnaires: PHQ-9 and GAD-7 go with every demo appointment type, with the
booking confirmation, and one demo patient has a few weeks of past scores, so the chart on
their record shows something."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicalContact,
    Patient,
    Service,
    Therapist,
)
from slotlink.domain.questionnaires.instruments import PHQ9_RISK_QUESTION
from slotlink.domain.questionnaires.scoring import score
from slotlink.lib.crypto import encrypt, new_token, token_hash
from slotlink.questionnaires.models import (
    FormAssignment,
    FormLink,
    FormRequest,
    FormRequestEvent,
    RequestStatus,
)
from slotlink.questionnaires.services import (
    builtin_forms_ensure,
    form_current_version,
    version_definition,
)

# Each past week's answer to every item (0 to 3), PHQ-9 then GAD-7: getting better.
PAST_ANSWERS = [(3, 2), (2, 2), (2, 1), (1, 1), (1, 0)]


def seed_demo_questionnaires(
    service: Service, kinds: list[AppointmentType], patient: Patient, therapist: Therapist
) -> None:
    now = timezone.now()
    forms = builtin_forms_ensure(now=now)
    for kind in kinds:
        for form in forms:
            FormAssignment.objects.create(
                service=service, appointment_type=kind, form=form, created_at=now
            )
    zone = service.zone
    today = timezone.localdate(timezone=zone)
    for weeks_ago, answers in zip(range(len(PAST_ANSWERS), 0, -1), PAST_ANSWERS, strict=True):
        day = today - timedelta(weeks=weeks_ago)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        start = datetime.combine(day, time(11), tzinfo=zone)
        _past_session(service, kinds[-1], patient, therapist, start, answers)


def _past_session(
    service: Service,
    kind: AppointmentType,
    patient: Patient,
    therapist: Therapist,
    start: datetime,
    answers: tuple[int, int],
) -> None:
    appointment = Appointment.objects.create(
        service=service,
        therapist=therapist,
        patient=patient,
        appointment_type=kind,
        start=start,
        end=start + timedelta(hours=1),
        status=AppointmentStatus.ATTENDED,
    )
    ClinicalContact.objects.create(appointment=appointment)
    sent = start - timedelta(days=2)
    token = new_token()
    link = FormLink.objects.create(
        service=service,
        patient=patient,
        appointment=appointment,
        token_hash=token_hash(token),
        token_encrypted=encrypt(token),
        created_at=sent,
        opened_at=sent + timedelta(hours=3),
    )
    for position, (form, value) in enumerate(zip(builtin_forms_ensure(), answers, strict=True)):
        version = form_current_version(form)
        definition = version_definition(version)
        # Every item the same, except that this patient never answered PHQ-9 question 9
        # above "Not at all" (a demo alert would need a clinician to acknowledge it first).
        given = {
            question.key: "0" if question.key == PHQ9_RISK_QUESTION else str(value)
            for question in definition.questions
        }
        result = score(definition, given)
        done = sent + timedelta(hours=3, minutes=5 * (position + 1))
        request = FormRequest.objects.create(
            link=link,
            appointment=appointment,
            patient=patient,
            form=form,
            version=version,
            position=position,
            status=RequestStatus.COMPLETED,
            answers=given,
            created_at=sent,
            opened_at=sent + timedelta(hours=3),
            completed_at=done,
            total=result.total,
            band=result.band or "",
            caseness=result.caseness,
            risk=result.risk,
        )
        for status, at in (
            (RequestStatus.SENT, sent),
            (RequestStatus.OPENED, sent + timedelta(hours=3)),
            (RequestStatus.COMPLETED, done),
        ):
            by = "system" if status == RequestStatus.SENT else "patient"
            FormRequestEvent.objects.create(request=request, status=status, at=at, by=by)
