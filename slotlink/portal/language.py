"""Which language a patient page is in, and the patient's switch between English and Welsh.

A link opened from a text takes the language on the patient's record; after that the patient
may switch on any page with a plain link (`?lang=cy`), which works without JavaScript and puts
nothing about the patient in the URL. The choice lives in a browser-session cookie rather than
the session: it reads without a query, holds on pages that have no session (an unusable link,
an error), and is the same for a made-up manage link as for a real one (portal/sessions.py)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from slotlink.lib.language import ENGLISH, HTML_LANG, LANGUAGES, WELSH, current_language
from slotlink.lib.patient_pages import is_patient_page

SWITCH = "lang"
# Addresses only a form posts to: a page shown in answer (a refused step) carries the switch
# too, which lands on the page holding that form rather than on "method not allowed".
FORM_ONLY = {
    "book:choose": "book:times",
    "book:confirm": "book:review",
    "manage:choose": "manage:times",
    "manage:confirm": "manage:review",
    "forms:submit": "forms:check",
}
# What the switch says, in the language it switches to.
SWITCH_LABELS = {ENGLISH: "English", WELSH: "Cymraeg"}


def remember_language(response: HttpResponse, language: str) -> None:
    """Keep `language` for this browser session (until the browser closes)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path="/",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",
    )


def has_chosen_language(request: HttpRequest) -> bool:
    return request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in LANGUAGES


def chosen_language(request: HttpRequest) -> str:
    """The language this browser chose for patient pages, else English."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return cookie if cookie in LANGUAGES else ENGLISH


class PatientLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        patient_page = is_patient_page(request)
        switch = request.method == "GET" and SWITCH in request.GET
        if switch and (patient_page or _not_found(request)):
            # Back to the same page without the switch in its address, now in that language.
            response: HttpResponse = HttpResponseRedirect(_page_of(request))
            chosen = request.GET[SWITCH]
            if chosen in LANGUAGES:
                remember_language(response, chosen)
            return response
        # Only for this request: a thread's next work (or test) starts from the default again.
        language = chosen_language(request) if patient_page else ENGLISH
        with translation.override(language):
            response = self.get_response(request)
        if patient_page:
            response.headers.setdefault("Content-Language", HTML_LANG[language])
        return response


def _page_of(request: HttpRequest) -> str:
    """The address to show again in the chosen language."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return request.path
    if match.view_name in FORM_ONLY:
        return reverse(FORM_ONLY[match.view_name], kwargs=match.kwargs)
    return request.path


def _not_found(request: HttpRequest) -> bool:
    """An address nothing answers: the "page not found" page, shared with patients."""
    try:
        resolve(request.path_info)
    except Resolver404:
        return True
    return False


@dataclass(frozen=True)
class LanguageSwitch:
    html_lang: str  # the page's <html lang>
    href: str  # this page in the other language
    label: str  # the other language, named in itself
    lang: str  # and its lang attribute


def _switch(language: str) -> LanguageSwitch:
    other = WELSH if language == ENGLISH else ENGLISH
    return LanguageSwitch(
        html_lang=HTML_LANG[language],
        href=f"?{SWITCH}={other}",
        label=SWITCH_LABELS[other],
        lang=HTML_LANG[other],
    )


# Made once: every patient page asks for one of the two.
SWITCHES = {language: _switch(language) for language in LANGUAGES}


def language_switch() -> LanguageSwitch:
    """For the patient header. The link is the query alone, so a page never repeats its own
    address (which, for an unusable link's page, holds the token)."""
    return SWITCHES[current_language()]
