"""The address a request came from, for counting failures per client.

Behind reverse proxies every request arrives from the proxy, so counting by the socket's
address would lock out everyone at once. Each trusted proxy appends the address it saw to
X-Forwarded-For, so the client is the entry TRUSTED_PROXY_COUNT places from the right:
anything further left was written by the client and cannot be believed."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))
