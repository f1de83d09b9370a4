"""Questionnaires on the staff patient record: scores over time, every form sent and its
state, one response's answers (read only: nothing is editable after submission), and
acknowledging a risk alert."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.models import PatientAlert, Role
from slotlink.clinic.selectors import patient_details, patients_for
from slotlink.clinic.services import patient_alert_acknowledge
from slotlink.questionnaires.selectors import (
    patient_form_requests,
    patient_request,
    patient_scores,
)
from slotlink.questionnaires.services import version_definition
from slotlink.records.form_rows import request_row, response_view
from slotlink.records.score_chart import score_chart


@require_GET
@staff_required()
def patient_questionnaires(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), pk=pk)
    zone = patient.service.zone
    audit_record(
        action=AuditAction.FORM_VIEWED,
        by=user,
        subject=patient,
        patient_id=patient.pk,
        service_id=patient.service_id,
        details={"what": "questionnaires"},
    )
    return render(
        request,
        "records/questionnaires.html",
        {
            "patient": patient_details(patient),
            "tab": "questionnaires",
            "chart": score_chart(patient_scores(patient), zone),
            "rows": [request_row(r, zone) for r in patient_form_requests(patient)[:200]],
        },
    )


@require_GET
@staff_required()
def form_response(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), pk=pk)
    found = patient_request(patient, request_pk)
    if found is None:
        raise Http404
    audit_record(
        action=AuditAction.FORM_VIEWED,
        by=user,
        subject=found,
        patient_id=patient.pk,
        service_id=patient.service_id,
    )
    return render(
        request,
        "records/form_response.html",
        {
            "patient": patient_details(patient),
            "tab": "questionnaires",
            "response": response_view(
                found, version_definition(found.version), patient.service.zone
            ),
        },
    )


@require_POST
@staff_required(Role.THERAPIST, Role.SUPERUSER)
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Clinicians (therapists, and superusers as clinical leads) acknowledge a risk alert."""
    user = staff_user(request)
    alert = get_object_or_404(PatientAlert, pk=pk, service_id=user.service_id)
    if patient_alert_acknowledge(alert=alert, user=user):
        messages.success(request, "Alert acknowledged.")
    else:
        messages.info(request, "Someone had already acknowledged that alert.")
    return redirect("records:questionnaires", pk=alert.patient_id)
