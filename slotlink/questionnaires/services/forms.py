"""Forms and their versions, and which appointment types get which forms when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from slotlink.audit.models import AuditAction
from slotlink.audit.services import audit_record
from slotlink.clinic.models import AppointmentType, Service, User
from slotlink.domain.questionnaires.forms import (
    FormDefinition,
    definition_from_json,
    definition_to_json,
)
from slotlink.domain.questionnaires.instruments import GAD7, PHQ9
from slotlink.questionnaires.models import Builtin, Form, FormAssignment, FormVersion

BUILTINS = {Builtin.PHQ9: PHQ9, Builtin.GAD7: GAD7}


def builtin_forms_ensure(*, now: datetime | None = None) -> list[Form]:
    """PHQ-9 and GAD-7, made on first need (one row each, whatever the concurrency)."""
    now = now or timezone.now()
    forms = []
    for code, definition in BUILTINS.items():
        form = Form.objects.filter(builtin=code).first()
        if form is None:
            try:
                with transaction.atomic():
                    form = Form.objects.create(builtin=code, name=definition.name, created_at=now)
                    _version_add(form, definition, user=None, now=now)
            except IntegrityError:  # made meanwhile by another request
                form = Form.objects.get(builtin=code)
        forms.append(form)
    return forms


def _version_add(
    form: Form, definition: FormDefinition, *, user: User | None, now: datetime
) -> FormVersion:
    number = (form.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return FormVersion.objects.create(
        form=form,
        number=number,
        fingerprint=definition.fingerprint,
        definition=definition_to_json(definition),
        created_at=now,
        created_by=user,
    )


def form_current_version(form: Form) -> FormVersion:
    version = form.versions.order_by("-number").first()
    if version is None:  # a form is always made with its first version
        raise FormVersion.DoesNotExist(f"{form} has no version")
    return version


def version_definition(version: FormVersion) -> FormDefinition:
    """The frozen definition of a version, from the JSON stored with it."""
    return definition_from_json(version.definition)


@transaction.atomic
def form_save(
    *,
    service: Service,
    definition: FormDefinition,
    user: User,
    form: Form | None = None,
    now: datetime | None = None,
) -> Form:
    """Make a service's own form, or save an edit of one: an edit that changes what any
    answer means adds a version (past answers keep theirs); one that changes nothing of the
    kind (the name, whitespace) adds none."""
    now = now or timezone.now()
    if form is None:
        form = Form.objects.create(service=service, name=definition.name, created_at=now)
        _version_add(form, definition, user=user, now=now)
    else:
        form = Form.objects.select_for_update().get(pk=form.pk, service=service)
        form.name = definition.name
        form.save(update_fields=["name"])
        if form_current_version(form).fingerprint != definition.fingerprint:
            _version_add(form, definition, user=user, now=now)
    audit_record(
        action=AuditAction.FORM_SAVED,
        by=user,
        subject=form,
        service_id=service.pk,
        details={"version": form_current_version(form).number},
        now=now,
    )
    return form


def form_active_set(*, form: Form, active: bool, user: User) -> None:
    Form.objects.filter(pk=form.pk, service__isnull=False).update(active=active)
    audit_record(
        action=AuditAction.FORM_SAVED,
        by=user,
        subject=form,
        service_id=form.service_id,
        details={"active": active},
    )


@dataclass(frozen=True)
class Assignment:
    form_id: int
    hours_before: int | None  # None: with the booking


@transaction.atomic
def form_assignments_save(
    *,
    appointment_type: AppointmentType,
    wanted: list[Assignment],
    user: User,
    now: datetime | None = None,
) -> None:
    """Set which forms go with appointments of this type, and when. A form kept with a new
    time keeps its row (and so its start date); one removed stops being sent from now on."""
    now = now or timezone.now()
    current = {a.form_id: a for a in appointment_type.form_assignments.select_for_update()}
    wanted_ids = {a.form_id for a in wanted}
    FormAssignment.objects.filter(
        appointment_type=appointment_type, form_id__in=set(current) - wanted_ids
    ).delete()
    for each in wanted:
        row = current.get(each.form_id)
        if row is None:
            FormAssignment.objects.create(
                service_id=appointment_type.service_id,
                appointment_type=appointment_type,
                form_id=each.form_id,
                hours_before=each.hours_before,
                created_at=now,
            )
        elif row.hours_before != each.hours_before:
            row.hours_before = each.hours_before
            row.save(update_fields=["hours_before"])
    audit_record(
        action=AuditAction.SETTINGS_CHANGED,
        by=user,
        object_type="appointment_type",
        object_id=appointment_type.pk,
        service_id=appointment_type.service_id,
        details={"fields": ["questionnaires"]},
        now=now,
    )


def crisis_information_save(*, service: Service, text: str, text_cy: str, user: User) -> None:
    """The service's own crisis information, in English and Welsh, shown to a patient at risk
    (already sanitised Markdown; sanitised again when shown)."""
    with transaction.atomic():
        Service.objects.filter(pk=service.pk).update(
            crisis_information=text, crisis_information_cy=text_cy
        )
        audit_record(
            action=AuditAction.SETTINGS_CHANGED,
            by=user,
            subject=service,
            service_id=service.pk,
            details={"fields": ["crisis_information", "crisis_information_cy"]},
        )
