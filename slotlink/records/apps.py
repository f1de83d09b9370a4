from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """The staff patient record's changes that reach beyond the clinic. No models of its own."""

    name = "slotlink.records"
