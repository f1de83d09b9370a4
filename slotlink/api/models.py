from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiClient(models.Model):
    """A record system or integration engine of one service. It authenticates as its OAuth 2.0
    application (django-oauth-toolkit keeps the hashed secret) and acts through `acting_user`, a
    login-less member of staff, so that the services it calls and the audit trail name it."""

    service = models.ForeignKey("clinic.Service", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    application = models.OneToOneField(
        "oauth2_provider.Application",
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    acting_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    # Space-separated, from slotlink.api.scopes.SCOPES.
    scopes = models.TextField()
    requests_per_minute = models.PositiveIntegerField(default=600)
    created_at = models.DateTimeField()
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="api_client_name_per_service")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class RateWindow(models.Model):
    """How many calls a client made in one minute. A row, not memory, so that every app server
    counts against one limit."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "starts_at"], name="rate_window_once")
        ]

    def __str__(self) -> str:
        return f"{self.calls} calls from {self.starts_at:%H:%M}"


class TokenFailureWindow(models.Model):
    """How many wrong secrets one address sent to the token endpoint in one window. Each
    attempt costs a password hash, so past a few the endpoint refuses before hashing. The
    address is kept only as a keyed hash."""

    address_hash = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["address_hash", "starts_at"], name="token_failure_window_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.failures} failures from {self.starts_at:%H:%M}"
