from django.db.models import QuerySet

from slotlink.api.models import ApiClient
from slotlink.clinic.access import service_id_of
from slotlink.clinic.models import User


def api_clients_for(user: User) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(service_id=service_id_of(user)).select_related("application")
