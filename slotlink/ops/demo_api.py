"""The demo service's API client, so that `make run` can show the FHIR API with curl: a known
client id and the demo password as its secret (hashed like any other). Never in production:
seed_demo refuses to run there."""

from django.conf import settings

from slotlink.api.models import ApiClient
from slotlink.api.scopes import SCOPES
from slotlink.api.services import api_client_create
from slotlink.clinic.models import Service

DEMO_CLIENT_ID = "slotlink-demo-client"
DEMO_CLIENT_NAME = "Demo record system"


def demo_api_client(service: Service) -> str:
    """Makes the demo client once; returns its client id (its secret is DEMO_PASSWORD)."""
    if not ApiClient.objects.filter(service=service, name=DEMO_CLIENT_NAME).exists():
        made = api_client_create(service=service, name=DEMO_CLIENT_NAME, scopes=" ".join(SCOPES))
        application = made.client.application
        application.client_id = DEMO_CLIENT_ID
        application.client_secret = settings.DEMO_PASSWORD
        application.hash_client_secret = True
        application.save()
    return DEMO_CLIENT_ID
