from django.urls import path

from slotlink.clinic import diary_views, settings_views, views

app_name = "clinic"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_search_view, name="patient_search"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("diary/", diary_views.diary, name="diary"),
    path(
        "appointments/<int:pk>/clinical-contact/", views.clinical_contact, name="clinical_contact"
    ),
    path("settings/", settings_views.service_settings, name="service_settings"),
    path(
        "settings/notify-callback-token/",
        settings_views.notify_callback_token,
        name="notify_callback_token",
    ),
]
