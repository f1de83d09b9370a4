from django.urls import path

from slotlink.portal.views import help

app_name = "help"
urlpatterns = [
    path("help/accessibility/", help.accessibility, name="accessibility"),
    path("help/<int:service_id>/accessibility/", help.accessibility, name="accessibility"),
    path("help/privacy/", help.privacy, name="privacy"),
    path("help/<int:service_id>/privacy/", help.privacy, name="privacy"),
    path("help/cookies/", help.cookies, name="cookies"),
    path("help/<int:service_id>/cookies/", help.cookies, name="cookies"),
    path("help/contact/", help.contact, name="contact"),
    path("help/<int:service_id>/contact/", help.contact, name="contact"),
]
