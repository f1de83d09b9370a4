"""The URL patterns are tried patients' first (slotlink/urls.py), for speed: that is safe only
while no pattern can take a path meant for another, which these check."""

import re
from collections.abc import Iterator

from django.urls import URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

from slotlink.lib.patient_pages import PATIENT_PATHS

PATIENT_URLCONFS = {
    "slotlink.portal.book_urls",
    "slotlink.portal.manage_urls",
    "slotlink.portal.forms_urls",
    "slotlink.portal.help_urls",
}
SAMPLES = {"int": "7", "str": "abcdefgh12", "slug": "a-slug"}


def routes(patterns: list, prefix: str = "", urlconf: str = "") -> Iterator[tuple[str, str]]:
    """Every route pattern (regular expressions aside), as text, with its URLconf's name."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            name = getattr(pattern.urlconf_name, "__name__", str(pattern.urlconf_name))
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern), name)
        elif isinstance(pattern.pattern, RoutePattern):
            yield prefix + str(pattern.pattern), urlconf


def sample(route: str) -> str:
    return "/" + re.sub(r"<(\w+):\w+>", lambda m: SAMPLES[m.group(1)], route)


def test_patients_paths_are_answered_by_the_patient_portal_alone() -> None:
    found = list(routes(get_resolver().url_patterns))
    assert {urlconf for _, urlconf in found} >= PATIENT_URLCONFS
    for route, urlconf in found:
        assert ("/" + route).startswith(PATIENT_PATHS) == (urlconf in PATIENT_URLCONFS), route
        assert not route.startswith("<"), route  # which could take any path


def test_every_route_answers_its_own_paths() -> None:
    """Whatever the order, no pattern takes a path another one was written for."""
    for route, _ in routes(get_resolver().url_patterns):
        assert resolve(sample(route)).route == route, route
