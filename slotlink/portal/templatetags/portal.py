"""Template filters and tags for patient pages."""

import threading
from collections.abc import Iterable

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from slotlink.clinic.models import Service
from slotlink.portal.language import LanguageSwitch, language_switch
from slotlink.portal.presenters import DayChoice, TimeOption

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


def _rows(row: str, values: Iterable[tuple[str, ...]]) -> SafeString:
    """format_html_join("", row, values), each value escaped as it escapes them, but the rows
    joined under one mark_safe, not one format_html call each: about half the cost for a
    page's dozens of rows."""
    joined = "".join(row.format(*map(conditional_escape, each)) for each in values)
    return mark_safe(joined)  # noqa: S308  # nosec B308, B703


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
    return _rows(_TIME_RADIO, ((o.html_id, o.value, o.html_id, o.label) for o in options))


# One day's link, written as times.html's loop over the days wrote it, whitespace and all.
_DAY_LINK = '\n      <li><a class="day-link" href="{}">{}</a></li>\n    '


@register.simple_tag
def day_links(days: list[DayChoice]) -> SafeString:
    """The times page's list of days, one link each: in one tag, not a template loop, as
    there can be dozens of days and the loop resolved and escaped two variables for each."""
    return _rows(_DAY_LINK, ((d.url, d.label) for d in days))


# The fragments fragment_cache keeps, by name and what each varies on, in this process: at most
# this many, the oldest dropped first.
FRAGMENTS_KEPT = 256
_fragments: dict[tuple[str, ...], SafeString] = {}
_keeping = threading.Lock()


class _FragmentNode(template.Node):
    # Not searched for blocks: {% extends %} walks its parent's nodes on every page for them,
    # and a fragment (the header's) holds none (a block kept per process would be wrong anyway).
    child_nodelists = ()

    def __init__(self, nodelist: NodeList, name: str, vary_on: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context: template.Context) -> SafeString:
        # As Django's {% cache %} keys a fragment: by each value's text.
        key = (self.name, *[str(value.resolve(context)) for value in self.vary_on])
        fragment = _fragments.get(key)
        if fragment is None:
            fragment = self.nodelist.render(context)
            with _keeping:
                if len(_fragments) >= FRAGMENTS_KEPT:
                    del _fragments[next(iter(_fragments))]
                _fragments[key] = fragment
        return fragment


@register.tag
def fragment_cache(parser: Parser, token: Token) -> _FragmentNode:
    """`{% fragment_cache name value... %}…{% endfragment_cache %}`: the part of a page that
    is the same for every patient with those values, made once per process, as Django's
    `{% cache %}` would keep it in the local-memory cache, without the cache's work on each
    page (a key hashed and checked, a lock, the fragment unpickled): that was about 30 us a
    fragment, two on every patient page. Only for what is the same for everyone with those
    values: nothing personal, no token, nonce or CSRF token."""
    name, *vary_on = token.split_contents()[1:]
    nodelist = parser.parse(("endfragment_cache",))
    parser.delete_first_token()
    return _FragmentNode(nodelist, name, [parser.compile_filter(value) for value in vary_on])
