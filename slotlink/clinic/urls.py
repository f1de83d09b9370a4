from django.urls import path

from slotlink.clinic import views

app_name = "clinic"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_search_view, name="patient_search"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("diary/", views.diary, name="diary"),
    path("appointments/<int:pk>/", views.appointment_edit, name="appointment_edit"),
    path("appointments/<int:pk>/delete/", views.appointment_delete_view, name="appointment_delete"),
    path(
        "appointments/<int:pk>/clinical-contact/", views.clinical_contact, name="clinical_contact"
    ),
]
