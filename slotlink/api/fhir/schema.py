"""Every resource in or out is checked against the FHIR R4 schema (fhir.resources 6.4.0,
whose models are R4 4.0.1; ADR 9)."""

from fhir.resources import construct_fhir_element
from pydantic import ValidationError

from slotlink.api.fhir.http import FhirError, Resource


def incoming(kind: str, data: Resource) -> Resource:
    """`data` as a valid R4 `kind`, or a 422 saying what is wrong with it."""
    if data.get("resourceType") != kind:
        raise FhirError(
            422, "invalid", f"Expected a {kind} resource, got {data.get('resourceType')!r}."
        )
    try:
        construct_fhir_element(kind, data)
    except (ValidationError, ValueError, TypeError) as error:
        raise FhirError(
            422, "structure", f"Not a valid R4 {kind}: {_first_problem(error)}"
        ) from None
    return data


def outgoing(data: Resource) -> Resource:
    """Raises (a bug here, answered as a 500 OperationOutcome) if we would send a resource
    that is not valid R4."""
    construct_fhir_element(str(data["resourceType"]), data)
    return data


def _first_problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        problems = error.errors()
        if problems:
            first = problems[0]
            where = " -> ".join(str(part) for part in first["loc"] if part != "__root__")
            return f"{where or 'resource'}: {first['msg']}"
    return str(error)[:300]
