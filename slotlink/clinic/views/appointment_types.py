"""Appointment types (name, duration, medium), for admins and superusers: broadcast rules
and the diary's new appointments choose from these."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.forms.setup import AppointmentTypeForm
from slotlink.clinic.models import AppointmentType, Role
from slotlink.clinic.selectors import appointment_types_for
from slotlink.clinic.services.setup import appointment_type_save
from slotlink.lib.contention import retry_on_contention

admins = staff_required(Role.ADMIN, Role.SUPERUSER)


@admins
def appointment_type_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "clinic/setup/appointment_types.html",
        {"types": appointment_types_for(staff_user(request)), "section": "types"},
    )


def _page(request: HttpRequest, appointment_type: AppointmentType) -> HttpResponse:
    user = staff_user(request)
    form = AppointmentTypeForm(request.POST or None, instance=appointment_type)
    if request.method == "POST" and form.is_valid():
        saved = appointment_type_save(appointment_type=form.save(commit=False), user=user)
        messages.success(request, f"Appointment type {saved.name} saved.")
        return redirect("clinic:appointment_type_list")
    return render(
        request,
        "clinic/setup/appointment_type_form.html",
        {"form": form, "appointment_type": appointment_type, "section": "types"},
        status=400 if request.method == "POST" else 200,
    )


@retry_on_contention
@admins
def appointment_type_new(request: HttpRequest) -> HttpResponse:
    return _page(request, AppointmentType(service_id=service_id_of(staff_user(request))))


@retry_on_contention
@admins
def appointment_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(appointment_types_for(staff_user(request)), pk=pk)
    return _page(request, found)
