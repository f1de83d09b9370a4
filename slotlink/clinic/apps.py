from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "slotlink.clinic"
    label = "clinic"
