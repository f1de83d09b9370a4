from django.urls import path

from slotlink.records import questionnaire_views, views

app_name = "records"
urlpatterns = [
    path("patients/new/", views.patient_new, name="patient_new"),
    path("patients/<int:pk>/edit/", views.patient_record_edit, name="patient_record_edit"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/<int:pk>/", views.appointment_edit, name="appointment_edit"),
    path("appointments/<int:pk>/delete/", views.appointment_delete_view, name="appointment_delete"),
    path(
        "appointments/<int:pk>/cancel/",
        views.appointment_cancel_view,
        name="appointment_cancel",
    ),
    path(
        "patients/<int:pk>/questionnaires/",
        questionnaire_views.patient_questionnaires,
        name="questionnaires",
    ),
    path(
        "patients/<int:pk>/questionnaires/<int:request_pk>/",
        questionnaire_views.form_response,
        name="form_response",
    ),
    path(
        "alerts/<int:pk>/acknowledge/",
        questionnaire_views.alert_acknowledge,
        name="alert_acknowledge",
    ),
]
