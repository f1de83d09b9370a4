"""What every patient page shares around its content: the file links and header above it, the
footer and script below. Both are made once per service and language and kept in the process
(base_patient.html, portal/_footer.html, the fragment_cache tag), so no patient may ever see
another service's, an old one, or the other language's, and nothing about a patient may ever be
kept."""

import re
from collections.abc import Iterator

import pytest
from django.template import Context, Template, loader
from django.template.loader_tags import BlockNode
from django.test import Client

from slotlink.booking.links.services import booking_link_send
from slotlink.portal.templatetags import portal
from tests.conftest import Clinic

pytestmark = pytest.mark.usefixtures("frozen_now")


def header(page: str) -> str:
    """From the file links to the header's end: the cached part above the content."""
    return page[page.index('<link rel="stylesheet"') : page.index("</header>")]


def help_page(client: Client, clinic: Clinic) -> str:
    """A page that names the service without a booking (and so without a session)."""
    return client.get(f"/help/{clinic.service.pk}/contact/").content.decode()


def test_the_cached_header_shows_a_change_of_name_logo_or_quick_exit_at_once(
    clinic: Clinic, client: Client
) -> None:
    first = header(help_page(client, clinic))
    assert clinic.service.name in first
    assert "quick-exit" not in first and "service-logo" not in first

    clinic.service.name = "Renamed Talking Therapies"
    clinic.service.save()
    assert "Renamed Talking Therapies" in header(help_page(client, clinic))

    clinic.service.logo = "logos/a.png"
    clinic.service.save()
    assert 'src="/media/logos/a.png"' in header(help_page(client, clinic))
    clinic.service.logo = "logos/b.png"
    clinic.service.save()
    assert 'src="/media/logos/b.png"' in header(help_page(client, clinic))

    clinic.service.quick_exit_enabled = True
    clinic.service.save()
    assert '<a class="quick-exit" href="/leave/"' in header(help_page(client, clinic))


def test_the_cached_header_and_footer_are_in_the_pages_language(
    clinic: Clinic, client: Client
) -> None:
    english = help_page(client, clinic)
    client.get(f"/help/{clinic.service.pk}/contact/?lang=cy")
    welsh = help_page(client, clinic)
    assert "Skip to main content" in header(english)
    assert 'href="?lang=cy" lang="cy" hreflang="cy">Cymraeg</a>' in header(english)
    assert "Neidio i'r prif gynnwys" in header(welsh)
    assert "Skip to main content" not in welsh
    assert 'href="?lang=en-gb" lang="en-GB" hreflang="en-GB">English</a>' in header(welsh)
    assert "Need help? Call" in english and "Angen help? Ffoniwch" in welsh


def test_two_services_never_share_a_cached_header_or_footer(
    clinic: Clinic, other_clinic: Clinic, client: Client
) -> None:
    # The same name: only the key's service tells them apart.
    other_clinic.service.name = clinic.service.name
    other_clinic.service.quick_exit_enabled = True
    other_clinic.service.logo = "logos/other.png"
    other_clinic.service.save()

    ours = help_page(client, clinic)
    theirs = help_page(client, other_clinic)

    assert "quick-exit" not in header(ours) and "logos/other.png" not in ours
    assert "quick-exit" in header(theirs) and "logos/other.png" in header(theirs)
    assert f"/help/{clinic.service.pk}/privacy/" in ours
    assert f"/help/{other_clinic.service.pk}/privacy/" in theirs
    assert f"/help/{other_clinic.service.pk}/" not in ours


def test_pages_without_a_service_get_a_header_that_names_none(
    clinic: Clinic, client: Client
) -> None:
    help_page(client, clinic)  # the service's header, cached first
    page = client.get("/b/not-a-real-token").content.decode()
    assert clinic.service.name not in page
    assert '<span class="nhsuk-header__service-name">Book an appointment</span>' in header(page)


def test_nothing_about_the_patient_is_kept_in_the_cache(clinic: Clinic, client: Client) -> None:
    clinic.patient.first_name = "Zebedee"
    clinic.patient.save()
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    portal._fragments.clear()
    client.get(f"/b/{token}")
    welcome = client.get("/book/").content.decode()
    times = client.get("/book/times/").content.decode()
    assert "Zebedee" in welcome
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', times).group(1)

    kept = list(portal._fragments.values())

    assert len(kept) == 2, "the header and the footer, once each"
    for fragment in kept:
        assert "Zebedee" not in fragment
        assert token not in fragment and csrf not in fragment
        assert "csrfmiddlewaretoken" not in fragment and "nonce" not in fragment


@pytest.fixture
def no_fragments() -> Iterator[None]:
    saved = dict(portal._fragments)
    portal._fragments.clear()
    yield
    portal._fragments.clear()
    portal._fragments.update(saved)


FRAGMENT = Template(
    "{% load portal %}{% fragment_cache test_fragment key %}{{ shown }}{% endfragment_cache %}"
)


def fragment(key: object, shown: str) -> str:
    return FRAGMENT.render(Context({"key": key, "shown": shown}))


@pytest.mark.usefixtures("no_fragments")
def test_a_fragment_is_made_once_for_each_value_it_varies_on() -> None:
    assert fragment(1, "first") == "first"
    assert fragment(1, "second") == "first"  # kept
    assert fragment(2, "second") == "second"
    assert fragment("1", "third") == "first"  # by the value's text, as {% cache %} keys it


@pytest.mark.usefixtures("no_fragments")
def test_only_so_many_fragments_are_kept_the_oldest_dropped_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(portal, "FRAGMENTS_KEPT", 3)
    for key in range(4):
        fragment(key, f"made {key}")
    assert len(portal._fragments) == 3
    assert fragment(0, "again") == "again"  # dropped, so made again
    assert fragment(3, "again") == "made 3"


def test_no_block_is_inside_a_kept_fragment() -> None:
    # {% extends %} does not look inside a fragment for blocks (portal._FragmentNode), and a
    # block there would be kept from the first page that filled it.
    base = loader.get_template("base_patient.html").template
    fragments = base.nodelist.get_nodes_by_type(portal._FragmentNode)
    assert [f.name for f in fragments] == ["patient_header", "patient_footer"]
    for f in fragments:
        assert f.nodelist.get_nodes_by_type(BlockNode) == []
