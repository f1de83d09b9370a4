from datetime import date, datetime, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.forms import AppointmentForm, ClinicalContactForm
from slotlink.clinic.models import ClinicalContact, WorkingPattern
from slotlink.clinic.presenters import DiaryWeek, PatientDetails
from slotlink.clinic.selectors import (
    appointments_for,
    patient_search,
    patients_for,
    therapists_for,
    week_start,
)
from slotlink.clinic.services import DiaryConflict, appointment_delete, appointment_save


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    return redirect("clinic:patient_search")


@staff_required()
def patient_search_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    user = staff_user(request)
    results = list(patient_search(user, query)[:50]) if query.strip() else []
    return render(
        request,
        "clinic/patient_search.html",
        {
            "query": query,
            "results": [PatientDetails.of(p) for p in results],
            "searched": bool(query.strip()),
        },
    )


@staff_required()
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(patients_for(staff_user(request)), pk=pk)
    return render(
        request,
        "clinic/patient_detail.html",
        {
            "patient": PatientDetails.of(patient),
            "tab": "details",
        },
    )


def _parse_week(raw: str | None, today: date) -> date:
    try:
        return week_start(date.fromisoformat(raw or ""))
    except ValueError:
        return week_start(today)


@staff_required()
def diary(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    assert user.service is not None  # noqa: S101 - staff_required
    zone = user.service.zone
    therapists = list(therapists_for(user))
    chosen = next((t for t in therapists if str(t.pk) == request.GET.get("therapist")), None)
    if chosen is None and therapists:
        own = next((t for t in therapists if t.user_id == user.pk), None)
        chosen = own or therapists[0]
    today = timezone.localdate(timezone=zone)
    monday = _parse_week(request.GET.get("week"), today)
    week = None
    if chosen is not None:
        start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
        appointments = (
            appointments_for(user)
            .filter(therapist=chosen, start__lt=end, end__gt=start)
            .order_by("start")
        )
        patterns = WorkingPattern.objects.filter(therapist=chosen)
        week = DiaryWeek.build(monday, zone, list(appointments), list(patterns), today)
    return render(
        request,
        "clinic/diary.html",
        {
            "therapists": therapists,
            "therapist": chosen,
            "week": week,
            "previous_week": (monday - timedelta(days=7)).isoformat(),
            "next_week": (monday + timedelta(days=7)).isoformat(),
            "this_week": week_start(today).isoformat(),
        },
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
            return redirect("clinic:appointment_edit", pk=appointment.pk)
    return render(
        request,
        "clinic/appointment_edit.html",
        {
            "form": form,
            "appointment": appointment,
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


@staff_required()
def clinical_contact(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    appointment = get_object_or_404(appointments_for(user), pk=pk)
    contact, _ = ClinicalContact.objects.get_or_create(appointment=appointment)
    form = ClinicalContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Clinical contact saved.")
        return redirect("clinic:clinical_contact", pk=appointment.pk)
    return render(
        request,
        "clinic/clinical_contact.html",
        {
            "form": form,
            "appointment": appointment,
            "patient": PatientDetails.of(appointment.patient),
        },
    )
