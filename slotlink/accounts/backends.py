"""Logging in, for staff: Django's password check, and a session that lasts only while the
account is active and its service switched on."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from slotlink.clinic.models import User


def service_switched_on(user: User) -> bool:
    """Operators (and Django superusers) have no service to switch off."""
    return user.service is None or user.service.active


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        # Every request loads its user here: with the service in the same query, so this check
        # (and the top bar's service name) costs nothing more.
        user = User.objects.select_related("service").filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        return user if service_switched_on(user) else None
