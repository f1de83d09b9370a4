"""A patient page reads the patient once: whether he or she has open alerts comes with that
read, and the alerts themselves are read only when there are some."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from slotlink.clinic.models import PatientAlert
from tests.conftest import Clinic
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    client.get(url)  # the first request of a session reads more (the session, the device)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _alert(clinic: Clinic, summary: str) -> PatientAlert:
    return PatientAlert.objects.create(
        service=clinic.service,
        patient=clinic.patient,
        raised_at=timezone.now(),
        summary=summary,
        about_kind="test",
        about_id=PatientAlert.objects.count() + 1,
    )


def test_the_patient_page_asks_for_alerts_only_when_there_are_open_ones(
    admin_client: Client, clinic: Clinic, django_assert_num_queries: Any
) -> None:
    url = reverse("clinic:patient_detail", args=[clinic.patient.pk])
    acknowledged = _alert(clinic, "Seen to already")
    acknowledged.acknowledged_at = timezone.now()
    acknowledged.save()
    without = _queries(admin_client, url)
    # The session, the user, the device, the patient (with service and alert flag), the
    # audit row, the unread-messages badge.
    assert without == 6
    _alert(clinic, "Risk: answered yes to question 9")
    admin_client.get(url)
    with django_assert_num_queries(without + 1):
        response = admin_client.get(url)
    assert "Risk: answered yes to question 9" in response.content.decode()
    assert "Seen to already" not in response.content.decode()


def test_patient_search_reads_alerts_once_whatever_the_number_of_results(
    admin_client: Client, clinic: Clinic
) -> None:
    url = reverse("clinic:patient_search") + "?q=Alex"
    one = _queries(admin_client, url)
    for _ in range(3):
        PatientFactory(service=clinic.service)
    assert _queries(admin_client, url) == one
