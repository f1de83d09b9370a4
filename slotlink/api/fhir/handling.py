"""What the FHIR interactions share: ids from URLs, created answers, version checks, paged
searches."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from slotlink.api.fhir import mappers, search
from slotlink.api.fhir.gateway import Call
from slotlink.api.fhir.http import (
    Answer,
    FhirError,
    Resource,
    invalid,
)


def record_pk(text: object) -> int:
    raw = str(text)
    return int(raw) if raw.isdigit() and len(raw) <= 12 else 0


def created(call: Call, resource: Resource, patient_id: int | None) -> Answer:
    location = call.url(
        f"{resource['resourceType']}/{resource['id']}/_history/{resource['meta']['versionId']}"
    )
    return Answer(
        resource,
        status=201,
        headers={"Location": location},
        resource_id=resource["id"],
        patient_id=patient_id,
    )


def version_check(call: Call, current: Resource) -> None:
    asked = call.request.headers.get("If-Match")
    if asked is not None and asked.strip() not in {
        mappers.etag(current),
        f'"{current["meta"]["versionId"]}"',
    }:
        raise FhirError(
            412,
            "conflict",
            f"{current['resourceType']}/{current['id']} has changed: its version is now "
            f"{current['meta']['versionId']}. Read it again and retry.",
        )


def boolean(raw: str, name: str) -> bool:
    if raw not in {"true", "false"}:
        raise invalid(f"{name} is true or false.")
    return raw == "true"


def searchset(
    call: Call,
    found: dict[str, list[str]],
    rows: QuerySet[Any],
    present: Callable[[Call, list[Any]], list[Resource]],
) -> Answer:
    at = search.page(found)
    total = rows.count()
    shown = list(rows[at.offset : at.offset + at.count])
    return Answer(
        search.bundle(
            call.request, present(call, shown), total=total, at=at, full_url=call.url("")[:-1]
        )
    )
