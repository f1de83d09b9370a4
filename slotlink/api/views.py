"""The OAuth token endpoint, and the superuser's page for the service's API clients: make one,
rotate its secret, revoke it. A secret is shown once, on the page that made it, and never
again."""

import hashlib
import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from oauth2_provider.models import AccessToken
from oauth2_provider.views import TokenView

from slotlink.api.forms import ApiClientForm
from slotlink.api.selectors import api_clients_for
from slotlink.api.services import (
    ApiClientError,
    Credentials,
    api_client_create,
    api_client_revoke,
    api_client_rotate,
    api_token_issued,
    token_failure_count,
    token_wait,
)
from slotlink.clinic.access import staff_required, staff_user
from slotlink.clinic.models import Role
from slotlink.lib.clientip import client_ip
from slotlink.lib.contention import retry_on_contention


class Token(TokenView):
    """django-oauth-toolkit's token endpoint, auditing each token it issues and refusing an
    address that has sent too many wrong secrets (each one costs a password hash)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = client_ip(request)
        wait = token_wait(address=address)
        if wait is not None:
            refused = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": f"Too many wrong secrets: try again in {wait} seconds.",
                },
                status=429,
            )
            refused["Retry-After"] = str(wait)
            refused["Cache-Control"] = "no-store"
            return refused
        response: HttpResponse = super().post(request, *args, **kwargs)
        if response.status_code == 401:
            token_failure_count(address=address)
        if response.status_code == 200:
            raw = json.loads(response.content).get("access_token", "")
            checksum = hashlib.sha256(raw.encode()).hexdigest()
            token = AccessToken.objects.select_related("application__api_client").get(
                token_checksum=checksum
            )
            api_token_issued(client=token.application.api_client, scopes=token.scope)
        return response


@retry_on_contention
@staff_required(Role.SUPERUSER)
def client_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert user.service is not None  # noqa: S101 - staff_required made sure
        try:
            made = api_client_create(
                service=user.service,
                name=form.cleaned_data["name"],
                scopes=" ".join(form.cleaned_data["scopes"]),
                by=user,
            )
        except ApiClientError as error:
            form.add_error("name", str(error))
        else:
            made.client.requests_per_minute = form.cleaned_data["requests_per_minute"]
            made.client.save(update_fields=["requests_per_minute"])
            return _credentials(request, made, "made")
    return render(
        request,
        "api/clients.html",
        {"form": form, "clients": api_clients_for(user)},
        status=400 if request.method == "POST" else 200,
    )


def _credentials(request: HttpRequest, made: Credentials, what: str) -> HttpResponse:
    return render(request, "api/credentials.html", {"made": made, "what": what})


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def client_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    client = get_object_or_404(api_clients_for(user), pk=pk)
    try:
        made = api_client_rotate(client=client, by=user)
    except ApiClientError as error:
        messages.error(request, str(error))
        return redirect("api:clients")
    return _credentials(request, made, "rotated")


@require_POST
@retry_on_contention
@staff_required(Role.SUPERUSER)
def client_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    client = get_object_or_404(api_clients_for(user), pk=pk)
    api_client_revoke(client=client, by=user)
    messages.success(request, f"{client.name} is revoked: its secret and tokens no longer work.")
    return redirect("api:clients")
