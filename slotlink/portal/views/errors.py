"""The "page not found" page, which patients and staff share: in the patient's language when
this browser has chosen one (a patient who mistyped an address), else in English."""

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.defaults import page_not_found

from slotlink.portal.language import chosen_language


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    with translation.override(chosen_language(request)):
        return page_not_found(request, exception)
