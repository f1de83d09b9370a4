"""With statements prepared (settings: prepare_threshold), a search by part of a name is still
planned for its words every time: a generic plan walks the whole caseload in name order for a
rare name (docs/benchmarks.md, "Prepared statements, the name search planned for its words")."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from slotlink.lib.planning import planned_with_values
from tests.api.conftest import Api, make_client, token_for
from tests.conftest import Clinic

pytestmark = pytest.mark.django_db

RUNS = 8  # more than prepare_threshold's 5, and the 5 custom plans PostgreSQL makes first


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_staff_searches_by_name_are_never_prepared_but_by_nhs_number_are(
    admin_client: Client, clinic: Clinic, needs_postgres: None
) -> None:
    url = reverse("clinic:patient_search")
    for run in range(RUNS):
        assert admin_client.get(url, {"q": f"Name{run}"}).status_code == 200
        assert admin_client.get(url, {"q": clinic.patient.nhs_number}).status_code == 200
    prepared = _prepared()
    assert any('"nhs_number" = $' in statement for statement in prepared)
    assert not [statement for statement in prepared if "LIKE" in statement]


def test_record_systems_searches_by_family_name_are_never_prepared(
    clinic: Clinic, needs_postgres: None
) -> None:
    http = Client()
    api = Api(http, token_for(http, make_client(clinic)))
    for run in range(RUNS):
        assert api.call("GET", f"/fhir/R4/Patient?family=Name{run}").status_code == 200
    assert not [statement for statement in _prepared() if "LIKE" in statement]


def test_the_connection_prepares_again_afterwards_even_after_an_error(
    needs_postgres: None,
) -> None:
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None
    with pytest.raises(ZeroDivisionError), planned_with_values():
        assert connection.connection.prepare_threshold is None
        1 / 0  # noqa: B018
    assert connection.connection.prepare_threshold == threshold
