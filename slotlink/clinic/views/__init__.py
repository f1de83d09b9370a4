from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.forms import ClinicalContactForm
from slotlink.clinic.models import ClinicalContact, Role
from slotlink.clinic.selectors import (
    appointments_for,
    patient_details,
    patient_search,
    patients_for,
)
from slotlink.clinic.services import appointment_viewed, clinical_contact_save


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Operators belong to no service: their home is the list of services.
    if staff_user(request).role == Role.OPERATOR:
        return redirect("operator:service_list")
    return redirect("clinic:patient_search")


@staff_required()
def patient_search_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    user = staff_user(request)
    results = patient_search(user, query)
    return render(
        request,
        "clinic/patient_search.html",
        {
            "query": query,
            "results": [patient_details(p, with_alerts=False) for p in results],
            "searched": bool(query.strip()),
            "can_invite": user.role in (Role.ADMIN, Role.SUPERUSER),
        },
    )


@staff_required()
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), pk=pk)
    audit_record(
        action=AuditAction.PATIENT_VIEWED,
        by=user,
        subject=patient,
        patient_id=patient.pk,
        service_id=patient.service_id,
        details={"page": "details"},
    )
    return render(
        request,
        "clinic/patient_detail.html",
        {
            "patient": patient_details(patient),
            "tab": "details",
        },
    )


@staff_required()
def clinical_contact(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    appointment = get_object_or_404(appointments_for(user), pk=pk)
    contact, _ = ClinicalContact.objects.get_or_create(appointment=appointment)
    form = ClinicalContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        clinical_contact_save(contact=form.save(commit=False), user=user)
        messages.success(request, "Clinical contact saved.")
        return redirect("clinic:clinical_contact", pk=appointment.pk)
    if request.method == "GET":
        appointment_viewed(AuditAction.CLINICAL_CONTACT_VIEWED, appointment, user)
    return render(
        request,
        "clinic/clinical_contact.html",
        {
            "form": form,
            "appointment": appointment,
            "patient": patient_details(appointment.patient),
        },
    )
