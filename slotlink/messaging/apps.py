from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "slotlink.messaging"
    label = "messaging"
