"""Template filters for patient pages."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from slotlink.clinic.models import Service
from slotlink.portal.language import LanguageSwitch, language_switch
from slotlink.portal.presenters import TimeOption

register = template.Library()


@register.filter
def phone_link(service: Service) -> SafeString:
    """The service's number as a link a phone can call, for sentences that name it (so that
    a translated sentence can put the number where its language wants it)."""
    return format_html('<a href="tel:{}">{}</a>', service.phone.replace(" ", ""), service.phone)


@register.filter
def in_lang(text: str, lang: str) -> SafeString:
    """`text` marked as written in `lang` ("en-GB": the service wrote no Welsh), or as it is
    where `lang` is empty (the page's own language)."""
    if lang:
        return format_html('<span lang="{}">{}</span>', lang, text)
    return format_html("{}", text)


@register.simple_tag
def patient_language() -> LanguageSwitch:
    """The page's language and the switch to the other, from the active translation: also
    right on pages rendered without a request (the busy page)."""
    return language_switch()


# One time's radio, written as day.html's loop over the times wrote it, whitespace and all.
_TIME_RADIO = (
    '\n            <div class="nhsuk-radios__item">'
    '\n              <input class="nhsuk-radios__input" id="{}" type="radio" name="start"'
    ' value="{}">'
    '\n              <label class="nhsuk-label nhsuk-radios__label" for="{}">{}</label>'
    "\n            </div>\n          "
)


@register.simple_tag
def time_radios(options: list[TimeOption]) -> SafeString:
    """A day page's radios, one per time: in one tag, not a template loop, as a day can offer
    dozens of times and the loop rendered four variables for each."""
    return format_html_join(
        "", _TIME_RADIO, ((o.html_id, o.value, o.html_id, o.label) for o in options)
    )
