"""Service settings, for the service's superusers."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from slotlink.clinic.access import service_id_of, staff_required, staff_user
from slotlink.clinic.models import Role, Service, SettingsChange
from slotlink.clinic.presenters import SettingsChangeRow, secret_hint
from slotlink.clinic.settings_forms import ServiceSettingsForm
from slotlink.clinic.settings_services import (
    service_notify_callback_token_rotate,
    service_settings_update,
)
from slotlink.lib.contention import retry_on_contention


@retry_on_contention
@staff_required(Role.SUPERUSER)
def service_settings(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    service = get_object_or_404(Service, pk=service_id_of(user))
    form = ServiceSettingsForm(request.POST or None, request.FILES or None, instance=service)
    if request.method == "POST" and form.is_valid():
        changed = service_settings_update(
            service_id=service.pk,
            user=user,
            values=form.settings_values(),
            logo=form.cleaned_data["logo"],
            remove_logo=form.cleaned_data["remove_logo"],
            sms_secret=form.cleaned_data["sms_secret"],
            clear_sms_secret=form.cleaned_data["clear_sms_secret"],
        )
        messages.success(request, "Settings saved." if changed else "Nothing had changed.")
        return redirect("clinic:service_settings")
    saved = Service.objects.get(pk=service.pk)  # the form may have changed `service` already
    changes = SettingsChange.objects.filter(service=saved).select_related("changed_by")[:15]
    return render(
        request,
        "clinic/settings/service.html",
        {
            "form": form,
            "logo_url": saved.logo.url if saved.logo else "",
            "secret": secret_hint(saved.sms_secret_encrypted),
            "has_secret": bool(saved.sms_secret_encrypted),
            "has_callback_token": bool(saved.notify_callback_token_hash),
            "changes": [SettingsChangeRow.of(c, saved.zone) for c in changes],
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def notify_callback_token(request: HttpRequest) -> HttpResponse:
    """Make a new token for Notify's delivery receipts and show it, this once (it is not kept:
    a redirect would have to carry it through the session)."""
    user = staff_user(request)
    token = service_notify_callback_token_rotate(service_id=service_id_of(user), user=user)
    return render(
        request,
        "clinic/settings/notify_callback_token.html",
        {
            "token": token,
            "callback_url": settings.PUBLIC_BASE_URL + reverse("messaging:notify_callback"),
        },
    )
