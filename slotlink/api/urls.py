from django.urls import path, re_path
from oauth2_provider.views import TokenView

from slotlink.api.fhir import views as fhir

# FHIR names have no trailing slash; the OAuth token endpoint is the issue's /oauth/token/.
urlpatterns = [
    path("oauth/token/", TokenView.as_view(), name="oauth_token"),
    path("fhir/R4/metadata", fhir.metadata, name="fhir_metadata"),
    re_path(
        r"^fhir/R4/Patient/(?P<resource_id>[^/]+)/\$send-booking-link$", fhir.patient_operation
    ),
    re_path(r"^fhir/R4/(?P<kind>[A-Za-z]+)$", fhir.type_level, name="fhir_type"),
    re_path(r"^fhir/R4/(?P<kind>[A-Za-z]+)/(?P<resource_id>[^/]+)$", fhir.instance_level),
    re_path(r"^fhir/(?P<rest>.*)$", fhir.unknown),
]
