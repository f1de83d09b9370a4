"""slotlink/urls.py lists the patient pages first (most of the traffic, and Django tries patterns
in order). That is only safe while no staff path begins as a patient path does."""

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, resolve

from slotlink.lib.patient_pages import PATIENT_PATHS

PATIENT_MODULES = ("book_urls", "manage_urls", "forms_urls", "help_urls")


def _routes(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, str]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        else:
            assert isinstance(entry, URLPattern)
            yield prefix + str(entry.pattern), entry.lookup_str


def test_no_staff_path_begins_with_a_patient_paths_first_segment() -> None:
    root = get_resolver()
    first = [
        include.urlconf_module.__name__ for include in root.url_patterns[: len(PATIENT_MODULES)]
    ]
    assert first == [f"slotlink.portal.{module}" for module in PATIENT_MODULES]
    patient_segments = {
        route.split("/", 1)[0]
        for include in root.url_patterns[: len(PATIENT_MODULES)]
        for route, _view in _routes(include)  # type: ignore[arg-type]
    }
    staff = [
        route
        for include in root.url_patterns[len(PATIENT_MODULES) :]
        for route, _view in (
            _routes(include) if isinstance(include, URLResolver) else [(str(include.pattern), "")]
        )
    ]
    assert "book" in patient_segments and "patients" not in patient_segments
    assert all(not segment.startswith("<") for segment in patient_segments)
    assert [route for route in staff if route.split("/", 1)[0] in patient_segments] == []
    assert resolve("/book/times/").url_name == "times"
    assert resolve("/login/").url_name == "login"


def test_every_patient_path_is_known_as_one() -> None:
    # The language, staff-session and request-log middleware tell patient pages by their path.
    root = get_resolver()
    patient_segments = {
        route.split("/", 1)[0]
        for include in root.url_patterns[: len(PATIENT_MODULES)]
        for route, _view in _routes(include)  # type: ignore[arg-type]
    }
    assert {f"/{segment}/" for segment in patient_segments} == set(PATIENT_PATHS)
