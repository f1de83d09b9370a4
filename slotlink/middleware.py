from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    """Pages carry patient data: no browser or proxy may keep a copy of any of them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


def without_referrer(response: HttpResponse) -> HttpResponse:
    """For the responses to URLs that carry a token: the token must never travel on as a
    Referer. (Other pages use "same-origin", since "no-referrer" makes browsers send
    `Origin: null` with form posts, which the CSRF check rightly refuses.)"""
    response["Referrer-Policy"] = "no-referrer"
    return response
