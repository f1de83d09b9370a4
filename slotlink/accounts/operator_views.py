"""The operator's pages: every service, creating one with its first superuser, switching one
off and on. Operators belong to no service and see no patient data: every other staff page
refuses them (they have no service), and these pages show services and superusers only."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from slotlink.accounts.operator_services import service_create_with_superuser, service_switch
from slotlink.accounts.presenters import HistoryRow, ServiceRow, StaffRow
from slotlink.accounts.selectors import (
    locked_out,
    services_for_operator,
    superusers_of,
    with_authenticator,
)
from slotlink.accounts.staff_forms import NewServiceForm
from slotlink.accounts.staff_services import (
    StaffRefused,
    staff_password_link,
    staff_two_factor_reset,
)
from slotlink.accounts.staff_views import handed_over
from slotlink.audit.selectors import record_audit_trail
from slotlink.clinic.access import staff_user
from slotlink.clinic.models import Nation, Role, Service
from slotlink.lib.contention import retry_on_contention

HISTORY_ROWS = 20


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if staff_user(request).role != Role.OPERATOR:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@operator_required
def service_list(request: HttpRequest) -> HttpResponse:
    rows = [ServiceRow.of(service) for service in services_for_operator()]
    return render(request, "accounts/operator/services.html", {"rows": rows})


@retry_on_contention
@operator_required
@require_http_methods(["GET", "POST"])
def service_new(request: HttpRequest) -> HttpResponse:
    form = NewServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service, user, url = service_create_with_superuser(
                by=staff_user(request),
                name=data["name"],
                nation=Nation(data["nation"]),
                time_zone=data["time_zone"],
                phone=data["phone"],
                username=data["username"],
                first_name=data["first_name"].strip(),
                last_name=data["last_name"].strip(),
                email=data["email"],
            )
        except StaffRefused as refusal:
            form.add_error("username", str(refusal))
        else:
            messages.success(request, f"{service.name} is set up.")
            return handed_over(
                request,
                user=user,
                url=url,
                service_name=service.name,
                back=reverse("operator:service_detail", args=[service.pk]),
            )
    return render(
        request,
        "accounts/operator/service_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@operator_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(services_for_operator(), pk=pk)
    users = list(superusers_of(service_id=service.pk))
    devices = with_authenticator(users)
    locked = locked_out(users)
    history = record_audit_trail(object_type="service", object_id=service.pk, service_id=pk)
    return render(
        request,
        "accounts/operator/service_detail.html",
        {
            "service": ServiceRow.of(service),
            "superusers": [
                StaffRow.of(
                    user,
                    zone=service.zone,
                    has_authenticator=user.pk in devices,
                    locked=user.username in locked,
                )
                for user in users
            ],
            "history": [HistoryRow.of(e, service.zone) for e in history[:HISTORY_ROWS]],
        },
    )


@require_POST
@retry_on_contention
@operator_required
def service_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    choice = request.POST.get("active")
    if choice not in {"0", "1"}:
        messages.error(request, "Choose whether to switch the service on or off.")
        return redirect("operator:service_detail", pk=service.pk)
    active = choice == "1"
    if service_switch(service_id=service.pk, active=active, by=staff_user(request)):
        messages.success(
            request,
            f"{service.name} is switched on."
            if active
            else f"{service.name} is switched off: its staff are logged out, its patients' "
            "links offer nothing and it sends no texts.",
        )
    return redirect("operator:service_detail", pk=service.pk)


@require_POST
@retry_on_contention
@operator_required
def superuser_password_link(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    """A new set-password link for one of the service's superusers (an invitation that
    lapsed, or the service's only superuser locked out of their password)."""
    service = get_object_or_404(Service, pk=pk)
    superuser = get_object_or_404(superusers_of(service_id=service.pk), pk=user_pk)
    back = reverse("operator:service_detail", args=[service.pk])
    try:
        user, url = staff_password_link(
            user_id=superuser.pk, service_id=service.pk, by=staff_user(request)
        )
    except StaffRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(back)
    return handed_over(request, user=user, url=url, service_name=service.name, back=back)


@require_POST
@retry_on_contention
@operator_required
def superuser_two_factor_reset(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    """For a service whose superuser lost their phone and has no other superuser to reset it."""
    service = get_object_or_404(Service, pk=pk)
    superuser = get_object_or_404(superusers_of(service_id=service.pk), pk=user_pk)
    staff_two_factor_reset(user_id=superuser.pk, service_id=service.pk, by=staff_user(request))
    messages.success(
        request,
        f"Two-factor authentication of {superuser.get_full_name()} reset: they set up their "
        "new phone at their next login.",
    )
    return redirect("operator:service_detail", pk=service.pk)
