"""A patient's audit trail: for admins and superusers, read only. (The audit app below clinic
holds the log; the page, which needs staff access and the patient, lives here.)"""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from slotlink.audit.models import AuditAction
from slotlink.audit.selectors import patient_audit_trail
from slotlink.audit.services import audit_record
from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.models import Role
from slotlink.clinic.presenters import AuditRow
from slotlink.clinic.selectors import patient_details, patients_for

EVENTS_PER_PAGE = 100


@require_GET
@staff_required(Role.ADMIN, Role.SUPERUSER)
def patient_trail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), pk=pk)
    page = Paginator(
        patient_audit_trail(patient_id=patient.pk, service_id=service_id_of(user)), EVENTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    zone = patient.service.zone
    rows = [AuditRow.of(event, zone) for event in page]  # read before adding to it
    # Looking at who looked is itself looked at.
    audit_record(
        action=AuditAction.AUDIT_VIEWED,
        by=user,
        subject=patient,
        patient_id=patient.pk,
        service_id=patient.service_id,
    )
    return render(
        request,
        "audit/patient_trail.html",
        {
            "patient": patient_details(patient),
            "rows": rows,
            "page": page,
            "tab": "audit",
        },
    )
