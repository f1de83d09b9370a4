from django.urls import path

from slotlink.accounts import operator_views

app_name = "operator"
urlpatterns = [
    path("operator/services/", operator_views.service_list, name="service_list"),
    path("operator/services/new/", operator_views.service_new, name="service_new"),
    path("operator/services/<int:pk>/", operator_views.service_detail, name="service_detail"),
    path(
        "operator/services/<int:pk>/switch/",
        operator_views.service_set_active,
        name="service_set_active",
    ),
    path(
        "operator/services/<int:pk>/superusers/<int:user_pk>/password-link/",
        operator_views.superuser_password_link,
        name="superuser_password_link",
    ),
    path(
        "operator/services/<int:pk>/superusers/<int:user_pk>/two-factor-reset/",
        operator_views.superuser_two_factor_reset,
        name="superuser_two_factor_reset",
    ),
]
