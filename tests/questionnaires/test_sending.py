"""Sending forms: the sweep sends each appointment's due forms once, in one text with one
link, at the right time across the clock changes; moving an appointment moves the send time,
cancelling withdraws, and the patient's own move carries the forms over."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connections
from django.utils import timezone, translation

from slotlink.clinic.models import Appointment, AppointmentStatus
from slotlink.lib.crypto import decrypt
from slotlink.messaging.models import MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import messages_send_due
from slotlink.ops.retention import retention_apply
from slotlink.ops.services import housekeeping_round
from slotlink.questionnaires.models import FormLink, FormRequest, RequestStatus
from slotlink.questionnaires.services import (
    appointment_forms_send,
    form_link_usable,
    form_links_remind,
    form_requests_expire,
    questionnaires_sweep,
)
from slotlink.records.services.appointments import appointment_save
from slotlink.records.services.diary import appointment_cancel
from tests.conftest import MONDAY
from tests.questionnaires.conftest import FormsClinic, assign, book, form_texts

pytestmark = pytest.mark.django_db


def test_forms_with_the_booking_go_in_one_text_with_one_link_once(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    report = questionnaires_sweep()
    assert report.sent == 1
    link = FormLink.objects.get()
    assert link.appointment == appointment
    assert [r.form.name for r in link.requests.order_by("position")] == ["GAD-7", "PHQ-9"]
    texts = form_texts(appointment)
    assert [t.kind for t in texts] == [MessageKind.FORM_LINK]
    assert texts[0].about_kind == "form_link" and texts[0].about_id == link.pk
    # Again and again: nothing more.
    assert questionnaires_sweep().sent == 0
    assert appointment_forms_send(appointment_id=appointment.pk) is None
    assert FormRequest.objects.count() == 2 and len(form_texts(appointment)) == 1


def test_housekeeping_runs_the_sweep(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    book(forms_clinic, MONDAY + timedelta(days=3))
    report = housekeeping_round()
    assert report.forms is not None and report.forms.sent == 1


def test_a_form_set_up_after_the_booking_is_not_sent_for_it(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    FormRequest.objects.all().delete()
    forms_clinic.kind.form_assignments.update(created_at=timezone.now() + timedelta(minutes=1))
    book(forms_clinic, MONDAY + timedelta(days=3))
    assert questionnaires_sweep().sent == 0


def test_a_text_is_not_sent_to_a_patient_not_to_be_texted(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    patient = forms_clinic.clinic.patient
    patient.do_not_sms = True
    patient.save()
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    [text] = form_texts(appointment)
    assert text.status == MessageStatus.CANCELLED  # recorded as not sent, with the reason
    assert FormRequest.objects.count() == 2  # staff still see what was asked


@pytest.mark.parametrize(
    ("start", "send_at"),
    [
        # October: the clocks go back at 02:00 BST on Sunday 31 October 2027. 48 hours before
        # Monday 09:00 GMT is Saturday 09:00 UTC, which is 10:00 BST.
        (datetime(2027, 11, 1, 9, 0, tzinfo=UTC), datetime(2027, 10, 30, 9, 0, tzinfo=UTC)),
        # March: the clocks go forward at 01:00 GMT on Sunday 28 March 2027. 48 hours before
        # Monday 09:00 BST (08:00 UTC) is Saturday 08:00 UTC, 08:00 GMT.
        (datetime(2027, 3, 29, 8, 0, tzinfo=UTC), datetime(2027, 3, 27, 8, 0, tzinfo=UTC)),
    ],
    ids=["october", "march"],
)
def test_hours_before_are_real_hours_across_the_clock_change(
    forms_clinic: FormsClinic, start: datetime, send_at: datetime
) -> None:
    forms_clinic.kind.form_assignments.update(hours_before=48)
    with time_machine.travel(start - timedelta(days=20), tick=False):
        appointment = book(forms_clinic, start)
    with time_machine.travel(send_at - timedelta(minutes=1), tick=False):
        assert questionnaires_sweep().sent == 0
    with time_machine.travel(send_at, tick=False):
        assert questionnaires_sweep().sent == 1
        [text] = form_texts(appointment)
        assert text.send_after == send_at  # outside quiet hours (21:00 to 08:00) either way
    with time_machine.travel(send_at + timedelta(hours=30), tick=False):
        assert questionnaires_sweep().sent == 0
    assert FormLink.objects.count() == 1


def test_a_text_due_in_quiet_hours_waits_for_the_morning(forms_clinic: FormsClinic) -> None:
    forms_clinic.kind.form_assignments.update(hours_before=12)
    start = datetime(2027, 1, 12, 10, 0, tzinfo=UTC)  # due 22:00 the evening before
    with time_machine.travel(start - timedelta(days=5), tick=False):
        appointment = book(forms_clinic, start)
    with time_machine.travel(start - timedelta(hours=12), tick=False):
        questionnaires_sweep()
    [text] = form_texts(appointment)
    assert text.send_after == datetime(2027, 1, 12, 8, 0, tzinfo=UTC)


def test_moving_an_appointment_moves_the_send_time(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    forms_clinic.kind.form_assignments.update(hours_before=24)
    appointment = book(forms_clinic, MONDAY + timedelta(days=2))
    frozen_now.move_to(MONDAY + timedelta(days=1, minutes=1))  # 24 h before, and a minute
    appointment.start += timedelta(days=3)
    appointment.end += timedelta(days=3)
    appointment_save(appointment=appointment, user=forms_clinic.clinic.admin)
    assert questionnaires_sweep().sent == 0
    frozen_now.move_to(appointment.start - timedelta(hours=24))
    assert questionnaires_sweep().sent == 1


def test_cancelling_withdraws_unfinished_forms_and_their_unsent_text(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    appointment_cancel(appointment=appointment, reason="Unwell", user=forms_clinic.clinic.admin)
    assert set(FormRequest.objects.values_list("status", flat=True)) == {RequestStatus.WITHDRAWN}
    [text] = form_texts(appointment)
    assert text.status == MessageStatus.CANCELLED
    assert questionnaires_sweep().sent == 0


def test_a_cancellation_by_any_other_way_is_withdrawn_by_the_sweep_and_the_text_stays_unsent(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    FormLink.objects.update()  # the text is queued, not yet sent
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
    messages_send_due()
    [text] = form_texts(appointment)
    assert text.status == MessageStatus.CANCELLED  # messaging checks the appointment
    assert questionnaires_sweep().withdrawn == 2


def test_a_completed_form_stays_when_the_appointment_is_cancelled(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    FormRequest.objects.filter(form=forms_clinic.gad7).update(status=RequestStatus.COMPLETED)
    appointment_cancel(appointment=appointment, reason="Unwell", user=forms_clinic.clinic.admin)
    assert dict(FormRequest.objects.values_list("form__name", "status")) == {
        "GAD-7": RequestStatus.COMPLETED,
        "PHQ-9": RequestStatus.WITHDRAWN,
    }


def test_a_patients_own_move_carries_the_forms_to_the_new_appointment(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    old = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    Appointment.objects.filter(pk=old.pk).update(status=AppointmentStatus.CANCELLED)
    new = book(forms_clinic, MONDAY + timedelta(days=4))
    new.rescheduled_from = old
    new.save()
    assert appointment_forms_send(appointment_id=new.pk) is None  # nothing new to send
    assert set(FormRequest.objects.values_list("appointment_id", flat=True)) == {new.pk}
    assert FormLink.objects.get().appointment_id == new.pk
    assert questionnaires_sweep().withdrawn == 0
    assert OutboundMessage.objects.filter(kind=MessageKind.FORM_LINK).count() == 1


def test_unfinished_forms_expire_when_the_appointment_begins(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    frozen_now.move_to(appointment.start)
    assert form_requests_expire() == 2
    assert set(FormRequest.objects.values_list("status", flat=True)) == {RequestStatus.EXPIRED}


def test_one_reminder_for_unfinished_forms_a_day_before(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    assert form_links_remind() == 0
    frozen_now.move_to(appointment.start - timedelta(hours=24))
    assert form_links_remind() == 1
    assert form_links_remind() == 0
    kinds = [t.kind for t in form_texts(appointment)]
    assert kinds == [MessageKind.FORM_LINK, MessageKind.FORM_REMINDER]


def test_no_reminder_once_every_form_is_done(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    FormRequest.objects.update(status=RequestStatus.COMPLETED)
    frozen_now.move_to(appointment.start - timedelta(hours=24))
    assert form_links_remind() == 0


def test_each_send_time_gets_its_own_text(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    forms_clinic.kind.form_assignments.filter(form=forms_clinic.gad7).delete()
    assign(forms_clinic.kind, forms_clinic.gad7, hours_before=24)
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    assert questionnaires_sweep().sent == 1  # PHQ-9, with the booking
    frozen_now.move_to(appointment.start - timedelta(hours=24))
    report = questionnaires_sweep()
    assert report.sent == 1  # GAD-7
    assert report.reminded == 1  # PHQ-9's link, unfinished, a day before
    assert FormLink.objects.count() == 2
    kinds = [t.kind for t in form_texts(appointment)]
    assert kinds.count(MessageKind.FORM_LINK) == 2


@pytest.mark.django_db(transaction=True)
def test_sweeps_and_nudges_racing_send_the_forms_once(forms_clinic: FormsClinic) -> None:
    appointment = book(forms_clinic, timezone.now() + timedelta(days=3))
    barrier = threading.Barrier(12)
    errors: list[Exception] = []

    def send(sweep: bool) -> None:
        try:
            barrier.wait(timeout=30)
            if sweep:
                questionnaires_sweep()
            else:
                appointment_forms_send(appointment_id=appointment.pk)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(n % 2 == 0,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert FormLink.objects.count() == 1
    assert FormRequest.objects.count() == 2
    assert len(form_texts(appointment)) == 1


def test_a_form_links_token_copy_is_blanked_once_its_appointment_is_long_past(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    days = settings.RETENTION_DAYS["link_tokens"]
    frozen_now.move_to(appointment.end + timedelta(days=days) - timedelta(minutes=1))
    retention_apply()
    assert FormLink.objects.get().token_encrypted != ""
    frozen_now.move_to(appointment.end + timedelta(days=days, minutes=1))
    retention_apply()
    link = FormLink.objects.get()
    assert link.token_encrypted == "" and link.token_hash  # the hash still finds it
    assert FormRequest.objects.count() == 2  # the answers are the clinical record


def test_a_switched_off_service_sends_no_forms_and_its_links_stop_working(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    link = FormLink.objects.get()
    service = forms_clinic.clinic.service
    service.active = False
    service.save()
    book(forms_clinic, MONDAY + timedelta(days=4), therapist_index=1)
    assert questionnaires_sweep().sent == 0
    link.refresh_from_db()
    assert not form_link_usable(link, timezone.now())
    assert appointment.form_links.count() == 1


def test_a_welsh_preferring_patient_gets_the_forms_text_and_reminder_in_welsh(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    patient = forms_clinic.clinic.patient
    patient.preferred_language = "cy"
    patient.save(update_fields=["preferred_language"])
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    frozen_now.move_to(appointment.start - timedelta(hours=24))
    assert form_links_remind() == 1
    link_text, reminder = (decrypt(t.body_encrypted) or "" for t in form_texts(appointment))
    first = f"Helo {patient.first_name}, "
    assert link_text.startswith(first + "atebwch ychydig o gwestiynau cyn eich apwyntiad: ")
    assert reminder.startswith(first + "dyma nodyn i'ch atgoffa i ateb y cwestiynau")
    assert "/q/" in link_text and "/q/" in reminder
    # Nothing else made later on this thread is left in Welsh.
    assert translation.get_language() != "cy"


def test_an_english_preferring_patient_gets_the_forms_text_in_english(
    forms_clinic: FormsClinic, frozen_now: time_machine.Traveller
) -> None:
    appointment = book(forms_clinic, MONDAY + timedelta(days=3))
    questionnaires_sweep()
    (text,) = form_texts(appointment)
    assert (decrypt(text.body_encrypted) or "").startswith(
        f"Hello {forms_clinic.clinic.patient.first_name}, please answer a few questions"
    )
