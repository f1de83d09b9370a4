from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    """Questionnaires before appointments: versioned forms, which appointment types get them
    and when, the form links that carry them, and the patients' responses."""

    name = "slotlink.questionnaires"
