from django.urls import path

from slotlink.clinic import diary_views, settings_views, views
from slotlink.clinic.views import appointment_types, diaries, onboarding, therapists

app_name = "clinic"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_search_view, name="patient_search"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("diary/", diary_views.diary, name="diary"),
    path(
        "appointments/<int:pk>/clinical-contact/", views.clinical_contact, name="clinical_contact"
    ),
    path("setup/therapists/", therapists.therapist_list, name="therapist_list"),
    path("setup/therapists/new/", therapists.therapist_new, name="therapist_new"),
    path("setup/therapists/<int:pk>/", therapists.therapist_edit, name="therapist_edit"),
    path("setup/therapists/<int:pk>/pattern/", diaries.therapist_pattern, name="therapist_pattern"),
    path(
        "setup/therapists/<int:pk>/pattern/preview/",
        diaries.pattern_preview,
        name="pattern_preview",
    ),
    path("setup/patterns/<int:pk>/", diaries.pattern_edit, name="pattern_edit"),
    path(
        "setup/patterns/<int:pk>/preview/",
        diaries.pattern_edit_preview,
        name="pattern_edit_preview",
    ),
    path("setup/patterns/<int:pk>/end/", diaries.pattern_end, name="pattern_end"),
    path("setup/therapists/<int:pk>/changes/", diaries.diary_changes, name="diary_changes"),
    path("setup/changes/<int:pk>/", diaries.diary_change, name="diary_change"),
    path("setup/changes/<int:pk>/remove/", diaries.diary_change_delete, name="diary_change_delete"),
    path("setup/teams/", therapists.team_list, name="team_list"),
    path("setup/teams/new/", therapists.team_new, name="team_new"),
    path("setup/teams/<int:pk>/", therapists.team_edit, name="team_edit"),
    path(
        "setup/appointment-types/",
        appointment_types.appointment_type_list,
        name="appointment_type_list",
    ),
    path(
        "setup/appointment-types/new/",
        appointment_types.appointment_type_new,
        name="appointment_type_new",
    ),
    path(
        "setup/appointment-types/<int:pk>/",
        appointment_types.appointment_type_edit,
        name="appointment_type_edit",
    ),
    path("setup/import/", onboarding.import_start, name="import_start"),
    path("setup/import/<str:kind>/", onboarding.import_upload, name="import_upload"),
    path("setup/import/<str:kind>/confirm/", onboarding.import_confirm, name="import_confirm"),
    path("setup/import/<str:kind>/example.csv", onboarding.import_example, name="import_example"),
    path("settings/", settings_views.service_settings, name="service_settings"),
    path(
        "settings/notify-callback-token/",
        settings_views.notify_callback_token,
        name="notify_callback_token",
    ),
]
