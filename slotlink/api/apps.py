from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The FHIR R4 API for record systems: OAuth 2.0 clients of one service, and a thin shell
    mapping FHIR to and from the services and selectors below it (ADR 9)."""

    name = "slotlink.api"
