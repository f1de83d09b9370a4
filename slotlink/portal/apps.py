from django.apps import AppConfig


class PortalConfig(AppConfig):
    """What patients see: the booking and manage pages. No models of its own."""

    name = "slotlink.portal"
