"""What every FHIR answer shares: the media type, OperationOutcome for every error, and the
FhirError that views raise to give one."""

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse

FHIR_JSON = "application/fhir+json"
# What a client may ask for, by Accept or _format: JSON in any of its FHIR spellings.
JSON_FORMATS = frozenset({"json", FHIR_JSON, "application/json", "application/json+fhir", "*/*"})

Resource = dict[str, Any]


class FhirError(Exception):
    """An answer other than success: `status`, an issue code from FHIR's IssueType value set,
    and a diagnostic written for the integrator reading it."""

    def __init__(
        self, status: int, code: str, diagnostics: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}


def not_found(kind: str, resource_id: str) -> FhirError:
    # The same answer whether the resource does not exist or is another service's.
    return FhirError(404, "not-found", f"{kind}/{resource_id} is not known to this server.")


def invalid(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


def unprocessable(diagnostics: str) -> FhirError:
    return FhirError(422, "processing", diagnostics)


def outcome(code: str, diagnostics: str, severity: str = "error") -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


@dataclass
class Answer:
    """A view's result: what to send, and what the audit trail records about it."""

    body: Resource | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    resource_id: str = ""
    patient_id: int | None = None


def fhir_response(body: Resource | None, status: int, headers: dict[str, str]) -> HttpResponse:
    content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    response = HttpResponse(content, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(outcome(error.code, error.diagnostics), error.status, error.headers)


def wants_json(request: HttpRequest) -> bool:
    """FHIR's _format wins over Accept; a client asking for XML (or anything else we do not
    speak) is told so rather than sent JSON it did not ask for."""
    asked = request.GET.get("_format")
    if asked is not None:
        return asked.split(";")[0].strip().lower() in JSON_FORMATS
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return True
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return any(kind in JSON_FORMATS or kind == "application/*" for kind in kinds)


def request_json(request: HttpRequest) -> Resource:
    kind = request.content_type.lower() if request.content_type else ""
    if kind not in {FHIR_JSON, "application/json", "application/json+fhir"}:
        raise FhirError(
            415, "not-supported", f"Send JSON as {FHIR_JSON}; the body here was {kind!r}."
        )
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid("The body must be a JSON object: a FHIR resource.")
    return data
