"""What an API client may be allowed: read or write, per FHIR resource (SMART on FHIR's
"system/<Resource>.<read|write>")."""

from typing import Any

from oauth2_provider.scopes import BaseScopes

READABLE = (
    "Patient",
    "Practitioner",
    "HealthcareService",
    "Schedule",
    "Slot",
    "Appointment",
    "Task",
)
WRITABLE = ("Patient", "Appointment", "Task")

SCOPES: dict[str, str] = {
    **{f"system/{kind}.read": f"Read {kind} resources" for kind in READABLE},
    **{f"system/{kind}.write": f"Create and change {kind} resources" for kind in WRITABLE},
}


def scope_for(kind: str, *, write: bool) -> str:
    return f"system/{kind}.{'write' if write else 'read'}"


class ClientScopes(BaseScopes):
    """django-oauth-toolkit's scopes, narrowed to what each client was given: a token never
    carries a scope its client lacks, and asking for none gives all of the client's."""

    def get_all_scopes(self) -> dict[str, str]:
        return SCOPES

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        client = getattr(application, "api_client", None)
        if client is None or client.revoked_at is not None:
            return []
        return sorted(client.scope_set & SCOPES.keys())

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return self.get_available_scopes(application, request)
