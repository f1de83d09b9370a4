"""Broadcast rules, for superusers: list, create, edit, duplicate, switch on and off, and
delete while unused. The edit page previews the patient's pages and measures the text
message as the superuser types (htmx), and on every save without JavaScript."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from slotlink.booking.models import BroadcastRule
from slotlink.booking.rules.forms import (
    PLACEHOLDER_LIST,
    BroadcastRuleForm,
    RuleActiveForm,
    rule_sms_length,
    sms_template_problems,
)
from slotlink.booking.rules.presenters import RuleListRow, rule_preview, sms_meter
from slotlink.booking.rules.selectors import all_rules_for, links_sent_by_rule
from slotlink.booking.rules.services import (
    RuleInUse,
    broadcast_rule_delete,
    broadcast_rule_duplicate,
    broadcast_rule_save,
    broadcast_rule_set_active,
)
from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.models import AppointmentType, Role, Service
from slotlink.lib.contention import retry_on_contention
from slotlink.lib.forms import PreviewButtonForm
from slotlink.lib.htmx import HtmxHttpRequest
from slotlink.lib.inputs import whole_number
from slotlink.lib.sms import PLACEHOLDERS

superuser_only = staff_required(Role.SUPERUSER)


def _service(request: HttpRequest) -> Service:
    service = staff_user(request).service
    assert service is not None  # noqa: S101 - staff_required
    return service


@superuser_only
def rule_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    sent = links_sent_by_rule(user)
    rows = [RuleListRow.of(rule, sent.get(rule.pk, 0)) for rule in all_rules_for(user)]
    return render(request, "booking/rules/list.html", {"rules": rows, "tab": "rules"})


@retry_on_contention
@superuser_only
def rule_create(request: HttpRequest) -> HttpResponse:
    # An instance, not None, so the model's defaults fill the empty form.
    blank = BroadcastRule(service=_service(request))
    form = BroadcastRuleForm(request.POST or None, instance=blank, service=_service(request))
    return _edit(request, form, None)


@retry_on_contention
@superuser_only
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(all_rules_for(staff_user(request)), pk=pk)
    form = BroadcastRuleForm(request.POST or None, instance=rule, service=_service(request))
    return _edit(request, form, rule)


def _edit(
    request: HttpRequest, form: BroadcastRuleForm, rule: BroadcastRule | None
) -> HttpResponse:
    previewing = PreviewButtonForm(request.POST).previewing
    if request.method == "POST" and not previewing and form.is_valid():
        saved = broadcast_rule_save(
            rule=form.save(commit=False),
            therapists=form.cleaned_data["therapists"],
            user=staff_user(request),
            changed=form.changed_data,
        )
        messages.success(request, f"Rule “{saved.title}” saved.")
        return redirect("booking:rule_edit", pk=saved.pk)
    status = 400 if request.method == "POST" and not previewing else 200
    return render(
        request, "booking/rules/edit.html", {**_live_context(form), "rule": rule}, status=status
    )


def _live_context(form: BroadcastRuleForm) -> dict[str, Any]:
    """The preview and the text's length, from what the form holds now (typed or saved)."""
    service = form.service
    template = str(form["sms_template"].value() or "")
    template_cy = str(form["sms_template_cy"].value() or "").strip()
    type_name = (
        AppointmentType.objects.filter(
            service=service, pk=_int(form["appointment_type"].value(), 0)
        )
        .values_list("name", flat=True)
        .first()
    )
    preview_rule, preview_appointment = rule_preview(
        appointment_type=type_name or "Assessment",
        duration_minutes=_int(form["duration_minutes"].value(), 60),
        medium=str(form["medium"].value() or ""),
        location=str(form["location"].value() or ""),
        welcome=str(form["welcome_content"].value() or ""),
        confirmation=str(form["confirmation_content"].value() or ""),
        sample_start=_sample_start(service),
        zone=service.zone,
    )
    return {
        "form": form,
        "service": service,
        "preview_rule": preview_rule,
        "preview_appointment": preview_appointment,
        "first_name": "Alex",
        "sms": sms_meter(
            rule_sms_length(template, service), sms_template_problems(template, service)
        ),
        "sms_cy": sms_meter(
            rule_sms_length(template_cy, service, welsh=True),
            sms_template_problems(template_cy, service, welsh=True) if template_cy else [],
        ),
        "placeholders": PLACEHOLDERS.items(),
        "placeholder_list": PLACEHOLDER_LIST,
    }


def _sample_start(service: Service) -> datetime:
    """10am on the first weekday at least two days away: a plausible booked time."""
    day: date = timezone.localdate(timezone=service.zone) + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=service.zone)


def _int(raw: object, default: int) -> int:
    value = whole_number(str(raw), 1, 10_000)
    return default if value is None else value


@require_POST
@superuser_only
def rule_preview_fragment(request: HtmxHttpRequest) -> HttpResponse:
    form = BroadcastRuleForm(request.POST, service=_service(request))
    return render(request, "booking/rules/_preview.html", _live_context(form))


@require_POST
@superuser_only
def rule_sms_fragment(request: HtmxHttpRequest) -> HttpResponse:
    """The English text's meter, or the Welsh one's when the Welsh text asks (meter=cy)."""
    form = BroadcastRuleForm(request.POST, service=_service(request))
    context = _live_context(form)
    if request.POST.get("meter") == "cy":
        context = {**context, "sms": context["sms_cy"], "meter_id": "sms-meter-cy"}
    return render(request, "booking/rules/_sms_meter.html", context)


@require_POST
@retry_on_contention
@superuser_only
def rule_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(all_rules_for(staff_user(request)), pk=pk)
    copy = broadcast_rule_duplicate(rule=rule, user=staff_user(request))
    messages.success(
        request,
        f"Made “{copy.title}”, switched off. Review it, then tick Active to let staff use it.",
    )
    return redirect("booking:rule_edit", pk=copy.pk)


@require_POST
@retry_on_contention
@superuser_only
def rule_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(all_rules_for(staff_user(request)), pk=pk)
    form = RuleActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["active"][0]))
        return redirect("booking:rule_list")
    active = form.cleaned_data["active"]
    broadcast_rule_set_active(rule=rule, active=active, user=staff_user(request))
    if active:
        messages.success(request, f"“{rule.title}” is active: staff can send links for it.")
    else:
        messages.success(
            request,
            f"“{rule.title}” is deactivated: staff can no longer send it. Links already sent "
            "still work.",
        )
    return redirect("booking:rule_list")


@require_POST
@retry_on_contention
@superuser_only
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(all_rules_for(staff_user(request)), pk=pk)
    try:
        broadcast_rule_delete(rule=rule, user=staff_user(request))
    except RuleInUse as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Deleted “{rule.title}”.")
    return redirect("booking:rule_list")
