"""Set-password links: how a new member of staff (or one who forgot their password) chooses a
password. Only the token's SHA-256 is kept; the token itself is shown or emailed once."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class SetPasswordLink(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="set_password_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # The superuser or operator who made it; none when made by a command.
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    made_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Set once, by a compare-and-set, when the password is chosen or the link is replaced.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user"], condition=Q(used_at__isnull=True), name="set_password_link_open"
            )
        ]

    def __str__(self) -> str:
        return f"Set-password link for user {self.user_id}"
