"""The staff patient record's changes that reach beyond the clinic: editing the record's
details (which may expire booking links), and making, editing, cancelling and deleting
appointments (which end links and reminders)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from slotlink.audit.models import AuditAction
from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.forms import AppointmentForm
from slotlink.clinic.models import (
    Appointment,
    AppointmentStatus,
    Role,
    Source,
    User,
    appointment_days,
)
from slotlink.clinic.selectors import (
    PatientDetails,
    appointments_for,
    patient_details,
    patients_for,
    week_start,
)
from slotlink.clinic.services import appointment_viewed
from slotlink.clinic.services.setup import DuplicateNhsNumber, patient_create
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.inputs import iso_day, record_id
from slotlink.questionnaires.selectors import appointment_form_requests
from slotlink.records.form_rows import request_row
from slotlink.records.forms import (
    CancelForm,
    NewAppointmentForm,
    PatientForm,
    PatientRecordForm,
)
from slotlink.records.services.appointments import (
    DiaryConflict,
    appointment_delete,
    appointment_save,
)
from slotlink.records.services.diary import appointment_cancel, appointment_create
from slotlink.records.services.patients import (
    RecordChange,
    patient_details_update,
    patient_record_update,
)


def _is_admin(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.SUPERUSER)


@retry_on_contention
@staff_required()
def patient_record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Therapists change contact details and flags; admins and superusers also who the
    patient is (name, date of birth, NHS number, language)."""
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), pk=pk)
    data = request.POST or None
    form: PatientRecordForm = (
        PatientForm.for_patient(patient, data)
        if _is_admin(user)
        else PatientRecordForm.for_patient(patient, data)
    )
    if request.method == "POST" and form.is_valid():
        try:
            if isinstance(form, PatientForm):
                expired = patient_details_update(
                    patient=patient,
                    identity=form.identity(),
                    change=form.record_change(),
                    user=user,
                )
            else:
                expired = patient_record_update(
                    patient=patient, change=RecordChange(**form.cleaned_data), user=user
                )
        except DuplicateNhsNumber:
            form.add_error("nhs_number", "Another patient has just been given this NHS number.")
        else:
            note = ""
            if expired:
                note = f" {expired} booking link{'s' if expired != 1 else ''} expired."
            messages.success(request, f"Details saved.{note}")
            return redirect("clinic:patient_detail", pk=patient.pk)
    return render(
        request,
        "clinic/patient_edit.html",
        {
            "patient": patient_details(patient),
            "form": form,
            "tab": "details",
            "alike": _alike(form),
        },
        status=400 if request.method == "POST" else 200,
    )


def _alike(form: PatientRecordForm) -> list[PatientDetails]:
    return [patient_details(p) for p in getattr(form, "alike", [])]


@retry_on_contention
@staff_required(Role.ADMIN, Role.SUPERUSER)
def patient_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = PatientForm(request.POST or None, service_id=service_id_of(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = patient_create(
                service_id=service_id_of(user),
                identity=form.identity(),
                mobile=data["mobile"],
                email=data["email"],
                do_not_sms=data["do_not_sms"],
                discharged=data["discharged"],
                user=user,
            )
        except DuplicateNhsNumber:
            form.add_error("nhs_number", "Another patient has just been given this NHS number.")
        else:
            messages.success(request, f"{patient.full_name} added.")
            return redirect("clinic:patient_detail", pk=patient.pk)
    return render(
        request,
        "clinic/patient_new.html",
        {"form": form, "alike": _alike(form), "section": "patients"},
        status=400 if request.method == "POST" else 200,
    )


@staff_required()
def appointment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    appointment = get_object_or_404(appointments_for(user), pk=pk)
    form = AppointmentForm(request.POST or None, instance=appointment, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_save(appointment=form.save(commit=False), user=user)
        except DiaryConflict as conflict:
            form.add_error(None, str(conflict))
        else:
            messages.success(request, "Appointment saved.")
            return redirect("records:appointment_edit", pk=appointment.pk)
    if request.method == "GET":
        appointment_viewed(AuditAction.APPOINTMENT_VIEWED, appointment, user)
    return render(
        request,
        "clinic/appointment_edit.html",
        {
            "form": form,
            "appointment": appointment,
            "form_requests": [
                request_row(r, appointment.service.zone)
                for r in appointment_form_requests(appointment).select_related(
                    "version", "appointment"
                )
            ],
        },
    )


@require_POST
@staff_required()
def appointment_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    appointment = get_object_or_404(appointments_for(user), pk=pk)
    appointment_delete(appointment=appointment, user=user)
    messages.success(request, "Appointment deleted from the diary.")
    return redirect(
        f"{reverse('clinic:diary')}?therapist={appointment.therapist_id}"
        f"&week={week_start(appointment.start.astimezone(appointment.service.zone).date())}"
    )


@retry_on_contention
@staff_required()
def appointment_new(request: HttpRequest) -> HttpResponse:
    """ "New appointment" from the diary: find the patient (by NHS number, name or date of
    birth), then choose therapist, day and time. Refuses a time the therapist is taken."""
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    query = request.GET.get("q", "")
    today = timezone.localdate(timezone=user.service.zone)
    initial = {
        "therapist": record_id(request.GET.get("therapist")),
        "date": iso_day(request.GET.get("date"), *appointment_days(today)),
        "start_time": request.GET.get("time") or None,
        "duration_minutes": 60,
    }
    appointment = Appointment(
        service=user.service, source=Source.STAFF, status=AppointmentStatus.BOOKED
    )
    form = NewAppointmentForm(
        request.POST or None,
        instance=appointment,
        user=user,
        patient_query=query,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            appointment_create(appointment=form.save(commit=False), user=user)
        except DiaryConflict as conflict:
            form.add_error(None, str(conflict))
        else:
            messages.success(request, "Appointment booked.")
            local_day = appointment.start.astimezone(user.service.zone).date()
            return redirect(
                reverse("clinic:diary")
                + f"?therapist={appointment.therapist_id}&date={local_day.isoformat()}"
            )
    return render(
        request,
        "clinic/appointment_new.html",
        {"form": form, "query": query, "initial": initial, "searched": bool(query.strip())},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@retry_on_contention
@staff_required()
def appointment_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(appointments_for(staff_user(request)), pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for cancelling.")
    elif appointment_cancel(
        appointment=appointment, reason=form.cleaned_data["reason"], user=staff_user(request)
    ):
        messages.success(request, "Appointment cancelled. It stays in the diary, struck through.")
    else:
        messages.info(request, "That appointment was already cancelled.")
    return redirect("records:appointment_edit", pk=appointment.pk)
