"""Editing the patient record's details (the Details tab)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.patient_services import RecordChange, patient_record_update
from slotlink.clinic.presenters import PatientDetails
from slotlink.clinic.record_forms import PatientRecordForm
from slotlink.clinic.selectors import patients_for
from slotlink.lib.contention import retry_on_contention


@retry_on_contention
@staff_required()
def patient_record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user).select_related("service"), pk=pk)
    form = PatientRecordForm.for_patient(patient, request.POST or None)
    if request.method == "POST" and form.is_valid():
        expired = patient_record_update(
            patient=patient, change=RecordChange(**form.cleaned_data), user=user
        )
        note = ""
        if expired:
            note = f" {expired} booking link{'s' if expired != 1 else ''} expired."
        messages.success(request, f"Details saved.{note}")
        return redirect("clinic:patient_detail", pk=patient.pk)
    return render(
        request,
        "clinic/patient_edit.html",
        {"patient": PatientDetails.of(patient), "form": form, "tab": "details"},
        status=400 if request.method == "POST" else 200,
    )
