"""Template filters for patient pages."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from slotlink.clinic.models import Service
from slotlink.portal.language import LanguageSwitch, language_switch

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
