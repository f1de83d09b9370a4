"""Several workers never send one message twice; nothing is lost when a worker or the
database goes away mid-batch; staff can see, retry and re-send."""

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from slotlink.booking.links.services import booking_link_send
from slotlink.clinic.models import InternalMessage
from slotlink.messaging.backends import OutboxBackend, Outgoing
from slotlink.messaging.models import Channel, MessageKind, MessageStatus, OutboundMessage
from slotlink.messaging.services import (
    internal_message_send,
    message_queue,
    messages_recover,
    messages_send_due,
)
from slotlink.messaging.tasks import send_due_messages
from tests.concurrency import concurrently
from tests.conftest import logged_in, run_tasks
from tests.factories import PatientFactory


def queue(clinic, body: str, **fields) -> OutboundMessage:
    return message_queue(service=clinic.service, to=clinic.patient.mobile, body=body, **fields)


class CountingBackend(OutboxBackend):
    sent: list[str] = []

    def send(self, message: Outgoing) -> str:
        CountingBackend.sent.append(message.reference)
        return super().send(message)


@pytest.fixture
def counting(monkeypatch):
    CountingBackend.sent = []
    monkeypatch.setattr(
        "slotlink.messaging.services.providers.sms_backend", lambda service: CountingBackend()
    )
    return CountingBackend.sent


@pytest.mark.django_db(transaction=True)
def test_many_workers_running_the_same_task_send_it_once(clinic, counting):
    message = queue(clinic, "Hi", kind=MessageKind.CONFIRMATION, urgent=True)
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait(timeout=30)
        messages_send_due()

    with concurrently(timeout=30) as threads:
        for _ in range(8):
            threads.start(worker)

    assert counting == [message.reference]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_the_worker_sends_every_queued_link_text(clinic, frozen_now, counting):
    for _ in range(5):
        patient = PatientFactory(service=clinic.service)
        booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)

    run_tasks()

    assert len(counting) == 5
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def waiting_senders() -> int:
    return DBTaskResult.objects.ready().filter(task_path=send_due_messages.module_path).count()


def test_a_burst_of_texts_waits_for_one_sending_task(clinic, frozen_now, counting):
    for _ in range(30):
        patient = PatientFactory(service=clinic.service)
        booking_link_send(patient=patient, rule=clinic.rule, sent_by=clinic.admin)

    assert waiting_senders() == 1
    run_tasks()
    assert len(counting) == 30
    assert waiting_senders() == 0


def test_texts_for_the_same_later_time_share_one_task_for_that_time(clinic, frozen_now):
    morning = timezone.now() + timedelta(days=1)
    for when, body in [(morning, "A"), (morning, "B"), (morning + timedelta(hours=1), "C")]:
        queue(clinic, body, kind=MessageKind.REMINDER, not_before=when)

    tasks = DBTaskResult.objects.filter(task_path=send_due_messages.module_path)
    assert sorted(tasks.values_list("run_after", flat=True)) == [
        morning,
        morning + timedelta(hours=1),
    ]
    assert waiting_senders() == 0


def test_a_full_batch_keeps_another_sender_waiting_so_idle_workers_join_in(
    clinic, frozen_now, monkeypatch
):
    monkeypatch.setattr("slotlink.messaging.services.sending.BATCH_SIZE", 2)
    for i in range(5):
        queue(clinic, f"Text {i}", kind=MessageKind.CONFIRMATION, urgent=True)
    DBTaskResult.objects.all().delete()  # as if a worker had just started the one task
    seen: list[int] = []
    monkeypatch.setattr(
        "slotlink.messaging.backends.OutboxBackend.send",
        lambda self, message: seen.append(waiting_senders()) or f"outbox-{message.reference}",
    )

    assert messages_send_due() == 5

    assert seen[0] == 1  # while the first full batch was being sent, a helper was waiting
    assert waiting_senders() == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_cannot_start_the_waiting_sender_before_the_new_text_is_committed(
    clinic, needs_postgres, counting
):
    """The race the single waiting task must not lose: a worker starting the task while a
    sender is still committing its message would find nothing and leave the message behind."""
    queue(clinic, "First", kind=MessageKind.AD_HOC, urgent=True)
    claimed: list[object] = []
    with transaction.atomic():
        queue(clinic, "Second", kind=MessageKind.AD_HOC, urgent=True)

        def worker_claims():
            with transaction.atomic():
                claimed.append(DBTaskResult.objects.ready().get_locked())

        with concurrently(timeout=10) as threads:
            threads.start(worker_claims)
    assert claimed == [None]
    assert waiting_senders() == 1
    run_tasks()
    assert len(counting) == 2


@pytest.mark.django_db(transaction=True)
def test_a_text_queued_while_a_worker_claims_the_waiting_sender_gets_a_new_one(
    clinic, needs_postgres
):
    queue(clinic, "First", kind=MessageKind.AD_HOC, urgent=True)
    locked, release = threading.Event(), threading.Event()

    def worker_claiming():
        with transaction.atomic():
            DBTaskResult.objects.ready().get_locked()
            locked.set()
            assert release.wait(10)

    with concurrently(timeout=10) as threads:
        threads.start(worker_claiming)
        assert locked.wait(10)
        queue(clinic, "Second", kind=MessageKind.AD_HOC, urgent=True)
        release.set()
    assert waiting_senders() == 2


@pytest.mark.django_db(transaction=True)
def test_texts_queued_while_two_workers_run_are_each_sent_once(clinic, needs_postgres, counting):
    """Real django-tasks-db workers (two threads) running while three threads queue texts:
    every text is sent, none twice. (The tests above pin the narrow race down exactly.)"""
    queuing_done = threading.Event()
    queued: list[str] = []

    def queuer(n: int) -> None:
        for i in range(20):
            with transaction.atomic():
                message = queue(clinic, f"Text {n}-{i}", kind=MessageKind.AD_HOC, urgent=True)
                time.sleep(0.002)  # hold the transaction open while workers look
            queued.append(message.reference)

    def worker(n: int) -> None:
        while True:
            last = queuing_done.is_set()
            Worker(
                queue_names=["default"],
                interval=0.001,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=f"test-worker-{n}",
                excluded_queue_names=[],
            ).run()
            if last:
                return

    with concurrently(timeout=60) as threads:
        queuers = [threads.start(queuer, n) for n in range(3)]
        for n in range(2):
            threads.start(worker, n)
        threads.join(*queuers)
        queuing_done.set()

    assert len(queued) == 60
    assert sorted(counting) == sorted(queued)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_the_database_going_away_mid_batch_loses_and_duplicates_nothing(
    clinic, needs_postgres, monkeypatch
):
    """The provider accepts message 3, then the worker's database connection is cut before
    it can record that. Recovery asks the provider, so message 3 is not sent again."""
    accepted: dict[str, str] = {}
    sends: list[str] = []

    class CutAfterThird(OutboxBackend):
        def send(self, message: Outgoing) -> str:
            sends.append(message.reference)
            accepted[message.reference] = f"p-{message.reference}"
            if len(accepted) == 3:
                with psycopg.connect(_dsn()) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid]
                    )
            return accepted[message.reference]

        def find(self, message: Outgoing, since):
            return accepted.get(message.reference)

    monkeypatch.setattr(
        "slotlink.messaging.services.providers.sms_backend", lambda service: CutAfterThird()
    )
    messages = [
        queue(clinic, f"Text {i}", kind=MessageKind.CONFIRMATION, urgent=True) for i in range(6)
    ]
    with pytest.raises(DatabaseError):  # the connection is cut under this worker mid-batch
        messages_send_due()
    connection.close()
    later = timezone.now() + timedelta(minutes=16)
    messages_recover(now=later)
    messages_send_due(now=later)

    statuses = OutboundMessage.objects.values_list("status", flat=True)
    assert set(statuses) == {MessageStatus.SENT}
    assert sorted(sends) == sorted(m.reference for m in messages)  # one send each, no more
    # Each row records the provider's id from its one acceptance: nothing was sent again.
    assert sorted(OutboundMessage.objects.values_list("provider_reference", flat=True)) == sorted(
        accepted.values()
    )


def _dsn() -> str:
    db = connection.settings_dict
    return f"host={db['HOST']} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"


def test_admins_see_failed_messages_and_can_retry_them(clinic, frozen_now, counting):
    message = queue(clinic, "Hi", kind=MessageKind.CONFIRMATION)
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, error="400: Not a UK mobile number", attempts=1
    )
    client = logged_in(clinic.admin)

    page = client.get("/outbox/").content.decode()
    assert "Not a UK mobile number" in page
    assert "Retry" in page

    assert client.post(f"/outbox/{message.pk}/retry/").status_code == 302
    run_tasks()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert counting == [message.reference]


def test_therapists_cannot_see_the_outbox_and_strangers_cannot_retry(clinic, other_clinic):
    message = queue(clinic, "Hi", kind=MessageKind.CONFIRMATION)
    assert logged_in(clinic.therapist_user).get("/outbox/").status_code == 403
    stranger = logged_in(other_clinic.admin)
    assert stranger.post(f"/outbox/{message.pk}/retry/").status_code == 404
    assert clinic.patient.mobile not in stranger.get("/outbox/").content.decode()


def test_the_outbox_shows_texts_only_in_demo_mode(clinic, settings):
    queue(clinic, "Secret link text", kind=MessageKind.CONFIRMATION)
    client = logged_in(clinic.admin)
    assert "Secret link text" in client.get("/outbox/").content.decode()
    settings.DEMO_MODE = False
    assert "Secret link text" not in client.get("/outbox/").content.decode()


def test_staff_can_send_a_live_link_again_by_text_and_by_email(clinic, frozen_now):
    clinic.patient.email = "alex@example.com"
    clinic.patient.save()
    link, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = logged_in(clinic.admin)

    assert client.post(f"/booking-links/{link.pk}/resend/", {"channel": "sms"}).status_code == 302
    assert client.post(f"/booking-links/{link.pk}/resend/", {"channel": "email"}).status_code == 302
    run_tasks()

    texts = OutboundMessage.objects.filter(kind=MessageKind.AD_HOC)
    assert {m.channel for m in texts} == {Channel.SMS, Channel.EMAIL}
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body
    assert mail.outbox[0].to == ["alex@example.com"]


def test_a_link_that_cannot_be_used_is_not_sent_again(clinic, frozen_now):
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = logged_in(clinic.admin)
    client.post(f"/booking-links/{link.pk}/expire/")

    response = client.post(f"/booking-links/{link.pk}/resend/", {"channel": "email"})

    assert response.status_code == 302
    assert not OutboundMessage.objects.filter(kind=MessageKind.AD_HOC).exists()


def test_the_inbox_counts_unread_messages_and_reading_one_marks_it_read(clinic):
    message = internal_message_send(
        recipient=clinic.therapist_user, subject="New appointment", body="Alex booked online."
    )
    client = logged_in(clinic.therapist_user)

    assert 'aria-label="1 unread"' in client.get("/messages/").content.decode()
    assert "Alex booked online." in client.get(f"/messages/{message.pk}/").content.decode()
    assert "unread" not in client.get("/messages/").content.decode().split("<main")[0]


def test_nobody_reads_someone_elses_messages(clinic, other_clinic):
    message = internal_message_send(recipient=clinic.therapist_user, subject="S", body="B")
    assert logged_in(clinic.admin).get(f"/messages/{message.pk}/").status_code == 404
    assert logged_in(other_clinic.admin).get(f"/messages/{message.pk}/").status_code == 404


def test_services_without_messages_get_none(clinic):
    clinic.service.uses_messages = False
    clinic.service.save()
    assert internal_message_send(recipient=clinic.admin, subject="S", body="B") is None
    assert not InternalMessage.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(clinic):
    for url in ("/outbox/", "/messages/"):
        assert Client().get(url)["Location"].startswith("/login/")


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_batches_at_once_send_every_message_exactly_once(clinic, counting):
    messages = [
        queue(clinic, f"Text {i}", kind=MessageKind.CONFIRMATION, urgent=True) for i in range(60)
    ]
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait(timeout=60)
        messages_send_due()

    with concurrently(timeout=60) as threads:
        for _ in range(6):
            threads.start(worker)

    assert sorted(counting) == sorted(m.reference for m in messages)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_one_task_sends_a_batch_of_due_messages_and_leaves_future_ones(
    clinic, frozen_now, counting
):
    due = [queue(clinic, "Now", kind=MessageKind.CONFIRMATION, urgent=True) for _ in range(3)]
    later = queue(
        clinic, "Later", kind=MessageKind.REMINDER, not_before=timezone.now() + timedelta(days=1)
    )

    assert messages_send_due() == 3

    assert sorted(counting) == sorted(m.reference for m in due)
    later.refresh_from_db()
    assert later.status == MessageStatus.QUEUED
    assert messages_send_due() == 0  # another worker's turn finds nothing left to send


@pytest.mark.parametrize("channel", ["fax", "", "SMS "])
def test_a_link_sent_again_by_no_known_channel_is_refused_plainly(clinic, frozen_now, channel):
    link, _ = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client = logged_in(clinic.admin)

    page = client.post(f"/booking-links/{link.pk}/resend/", {"channel": channel}, follow=True)

    assert page.status_code == 200
    assert "Choose whether to send the link again by text or by email." in page.content.decode()
    assert not OutboundMessage.objects.filter(kind=MessageKind.AD_HOC).exists()
