from django.urls import path

from slotlink.clinic import diary_views, record_views, settings_views, views

app_name = "clinic"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_search_view, name="patient_search"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", record_views.patient_record_edit, name="patient_record_edit"),
    path("diary/", diary_views.diary, name="diary"),
    path("appointments/new/", diary_views.appointment_new, name="appointment_new"),
    path("appointments/<int:pk>/", views.appointment_edit, name="appointment_edit"),
    path("appointments/<int:pk>/delete/", views.appointment_delete_view, name="appointment_delete"),
    path(
        "appointments/<int:pk>/cancel/",
        diary_views.appointment_cancel_view,
        name="appointment_cancel",
    ),
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
