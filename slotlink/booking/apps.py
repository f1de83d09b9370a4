from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "slotlink.booking"
    label = "booking"
