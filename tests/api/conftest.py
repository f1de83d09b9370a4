"""API clients and tokens for the FHIR API's tests, and the schema check every answer gets."""

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from fhir.resources import construct_fhir_element

from slotlink.api.scopes import SCOPES
from slotlink.api.services import Credentials, api_client_create
from tests.conftest import Clinic

ALL_SCOPES = " ".join(sorted(SCOPES))


def r4_valid(body: dict[str, Any]) -> dict[str, Any]:
    """Fails unless `body` is a valid FHIR R4 resource (and, for a Bundle, every entry is)."""
    construct_fhir_element(body["resourceType"], body)
    for entry in body.get("entry", []):
        construct_fhir_element(entry["resource"]["resourceType"], entry["resource"])
    return body


def make_client(
    clinic: Clinic, scopes: str = ALL_SCOPES, name: str = "Record system"
) -> Credentials:
    return api_client_create(service=clinic.service, name=name, scopes=scopes)


def token_for(http: Any, credentials: Credentials, base: str = "") -> str:
    """An access token by the client-credentials grant, through `http` (the Django test
    client, or requests against a live server)."""
    basic = base64.b64encode(
        f"{credentials.client_id}:{credentials.client_secret}".encode()
    ).decode()
    if isinstance(http, Client):
        response = http.post(
            "/oauth/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        assert response.status_code == 200, response.content
        return str(json.loads(response.content)["access_token"])
    response = http.post(
        f"{base}/oauth/token/",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@dataclass
class Api:
    """The Django test client with a bearer token: every answer is checked to be FHIR JSON,
    and every resource in it valid R4."""

    http: Client
    token: str

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        extra = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        extra.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
        content_type = extra.pop("HTTP_CONTENT_TYPE", "application/fhir+json")
        send = getattr(self.http, method.lower())
        if body is None:
            response = send(path, **extra)
        else:
            data = body if isinstance(body, str | bytes) else json.dumps(body)
            response = send(path, data=data, content_type=content_type, **extra)
        assert response["Content-Type"].startswith("application/fhir+json"), response.content
        if response.content:
            r4_valid(json.loads(response.content))
        return response


def body(response: Any) -> dict[str, Any]:
    return dict(json.loads(response.content))


@pytest.fixture
def api(clinic: Clinic) -> Api:
    http = Client()
    return Api(http, token_for(http, make_client(clinic)))
