from django.urls import path

from slotlink.clinic import audit_views as views

app_name = "audit"
urlpatterns = [
    path("patients/<int:pk>/audit/", views.patient_trail, name="patient_trail"),
]
