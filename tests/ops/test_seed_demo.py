"""The demo and benchmark data commands."""

import re
from base64 import b32decode, b64encode
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp

from slotlink.api.models import ApiClient
from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import Appointment, Patient, Service, Therapist, User, WorkingPattern
from slotlink.ops.demo import DEMO_SERVICE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def demo_counts() -> dict[str, int]:
    service = Service.objects.get(name=DEMO_SERVICE)
    return {
        "users": User.objects.filter(service=service).count(),
        "therapists": Therapist.objects.filter(service=service).count(),
        "patients": Patient.objects.filter(service=service).count(),
        "rules": BroadcastRule.objects.filter(service=service).count(),
        "appointments": Appointment.objects.filter(service=service).count(),
    }


def test_seed_demo_loads_one_demo_service_however_often_it_runs() -> None:
    first = seed()
    counts = demo_counts()
    second = seed()
    assert Service.objects.filter(name=DEMO_SERVICE).count() == 1
    assert demo_counts() == counts
    assert counts["therapists"] >= 2 and counts["patients"] >= 1 and counts["rules"] >= 1
    assert f"Loaded {DEMO_SERVICE}" in first
    assert "Already loaded" in second


def test_seed_demo_prints_the_logins_and_they_work() -> None:
    output = seed()
    assert settings.DEMO_PASSWORD in output
    key = re.search(r"authenticator app\): ([A-Z2-7]+)", output).group(1)
    for username in ["demo-super", "demo-admin", "demo-therapist"]:
        assert username in output
        client = Client()
        form = {"username": username, "password": settings.DEMO_PASSWORD}
        assert client.post("/login/", form).status_code == 302
        if username != "demo-therapist":  # admins and superusers need the printed key's code
            assert client.get("/patients/")["Location"].startswith("/account/two-factor/")
            client.post("/account/two-factor/", {"code": f"{totp(b32decode(key)):06d}"})
        assert client.get("/patients/").status_code == 200


def test_seed_demo_prints_a_demo_api_client_whose_token_reads_the_demo_service() -> None:
    output = seed()
    seed()  # made once, however often it runs
    command = re.search(r"curl -s -u (\S+):(\S+) ", output)
    assert command is not None
    client_id, secret = command.groups()
    http = Client()
    basic = b64encode(f"{client_id}:{secret}".encode()).decode()
    answer = http.post(
        "/oauth/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    found = http.get("/fhir/R4/HealthcareService", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert found["entry"][0]["resource"]["name"] == DEMO_SERVICE
    assert ApiClient.objects.count() == 1
    assert ApiClient.objects.get().application.client_secret != secret, "stored hashed"


def test_seed_demo_prints_an_operator_login_who_sees_services_and_no_patients() -> None:
    output = seed()
    assert re.search(r"demo-operator\s+Operator\s+\+ code", output)
    key = re.search(r"authenticator app\): ([A-Z2-7]+)", output).group(1)
    client = Client()
    client.post("/login/", {"username": "demo-operator", "password": settings.DEMO_PASSWORD})
    client.post("/account/two-factor/", {"code": f"{totp(b32decode(key)):06d}"})
    assert client.get("/")["Location"] == "/operator/services/"
    assert DEMO_SERVICE in client.get("/operator/services/").content.decode()
    assert client.get("/patients/").status_code == 403
    assert User.objects.get(username="demo-operator").service is None


def test_seed_demo_uses_only_drama_numbers_and_the_nhs_test_range() -> None:
    seed()
    for mobile, nhs_number in Patient.objects.values_list("mobile", "nhs_number"):
        assert mobile.startswith("+447700900")
        assert not nhs_number or nhs_number.startswith("999")


def test_seed_demo_benchmark_service_books_about_sixty_percent_of_working_time() -> None:
    output = seed("--therapists", "5", "--patients", "20", "--weeks", "2")
    service = Service.objects.get(name__startswith="Benchmark 5x2")
    assert f"service id {service.pk}" in output
    assert Therapist.objects.filter(service=service).count() == 5
    assert Patient.objects.filter(service=service).count() == 20
    working_hours = sum(
        (p.end_time.hour - p.start_time.hour)
        for p in WorkingPattern.objects.filter(therapist__service=service)
    )
    weeks_filled = len(
        {a.start.isocalendar()[:2] for a in Appointment.objects.filter(service=service)}
    )
    booked_hours = Appointment.objects.filter(service=service).count()  # one hour each
    share = booked_hours / (working_hours * weeks_filled)
    assert 0.5 <= share <= 0.7, share
    assert BroadcastRule.objects.filter(service=service).exists()


@pytest.mark.parametrize("args", [["--therapists", "0"], ["--therapists", "5", "--booked", "2"]])
def test_seed_demo_refuses_impossible_sizes(args: list[str]) -> None:
    with pytest.raises(CommandError):
        seed(*args)
    assert not Service.objects.exists()


def test_the_demo_has_a_welsh_speaking_patient_and_rules_written_in_welsh() -> None:
    seed()
    service = Service.objects.get(name=DEMO_SERVICE)
    welsh = Patient.objects.get(service=service, preferred_language="cy")
    assert welsh.first_name == "Dyfan"
    for rule in BroadcastRule.objects.filter(service=service):
        assert "{link}" in rule.sms_template_cy
        assert rule.welcome_content_cy and rule.confirmation_content_cy
