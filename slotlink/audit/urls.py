from django.urls import path

from slotlink.audit import views

app_name = "audit"
urlpatterns = [
    path("patients/<int:pk>/audit/", views.patient_trail, name="patient_trail"),
]
