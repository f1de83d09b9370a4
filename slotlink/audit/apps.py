from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "slotlink.audit"
    label = "audit"
