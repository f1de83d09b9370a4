from django.urls import path

from slotlink.questionnaires import views

app_name = "questionnaires"
urlpatterns = [
    path("settings/questionnaires/", views.form_list, name="form_list"),
    path("settings/questionnaires/new/", views.form_edit, name="form_new"),
    path("settings/questionnaires/<int:pk>/", views.form_edit, name="form_edit"),
    path("settings/questionnaires/<int:pk>/active/", views.form_active, name="form_active"),
    path("settings/questionnaires/when/", views.assignments, name="assignments"),
    path("settings/questionnaires/crisis/", views.crisis, name="crisis"),
]
