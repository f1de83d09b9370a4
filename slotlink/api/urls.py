from django.urls import path, re_path

from slotlink.api import views
from slotlink.api.fhir import views as fhir

app_name = "api"

# FHIR names have no trailing slash; the OAuth token endpoint is the issue's /oauth/token/.
urlpatterns = [
    path("settings/api-clients/", views.client_list, name="clients"),
    path("settings/api-clients/<int:pk>/rotate/", views.client_rotate, name="client_rotate"),
    path("settings/api-clients/<int:pk>/revoke/", views.client_revoke, name="client_revoke"),
    path("oauth/token/", views.Token.as_view(), name="oauth_token"),
    path("fhir/R4/metadata", fhir.metadata, name="fhir_metadata"),
    path("fhir/R4/OperationDefinition/<str:resource_id>", fhir.operation_definition),
    re_path(
        r"^fhir/R4/Patient/(?P<resource_id>[^/]+)/\$send-booking-link$", fhir.patient_operation
    ),
    re_path(r"^fhir/R4/(?P<kind>[A-Za-z]+)$", fhir.type_level, name="fhir_type"),
    re_path(r"^fhir/R4/(?P<kind>[A-Za-z]+)/(?P<resource_id>[^/]+)$", fhir.instance_level),
    re_path(r"^fhir/(?P<rest>.*)$", fhir.unknown),
]
