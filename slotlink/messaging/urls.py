from django.urls import path

from slotlink.messaging import callbacks, views

app_name = "messaging"
urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", views.retry, name="retry"),
    path("messages/", views.inbox, name="inbox"),
    path("messages/<int:pk>/", views.inbox_message, name="inbox_message"),
    path("callbacks/notify/", callbacks.notify, name="notify_callback"),
    path("callbacks/twilio/", callbacks.twilio, name="twilio_callback"),
]
