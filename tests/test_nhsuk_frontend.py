"""The NHS.UK frontend reaches the patient pages as docs/adr/0007-nhsuk-frontend.md says: the
version package-lock.json pins, checked against the lock's sha512, cleaned of what our CSP and
its font licence forbid, linked from every patient page; our own CSS only adds what it lacks."""

import hashlib
import importlib.util
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from django.test import Client

from slotlink.booking.links.services import booking_link_send
from tests.conftest import Clinic
from tests.portal.test_manage import book, born_form, manage_token, open_manage

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("nhsuk_frontend", ROOT / "scripts/nhsuk_frontend.py")
assert _spec is not None and _spec.loader is not None
vendor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vendor)

OUR_CSS = ROOT / "slotlink/static/slotlink/patient.css"


def tarball(css: str, js: str = "export{a};", **files: bytes) -> bytes:
    """A package shaped like nhsuk-frontend's, with these compiled files."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        contents = {vendor.CSS: css.encode(), vendor.JS: js.encode(), **files}
        for name, data in contents.items():
            member = tarfile.TarInfo(vendor.DIST + name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return out.getvalue()


def test_the_vendored_files_are_the_ones_package_lock_pins_and_nobody_edited_them() -> None:
    version, integrity = vendor.locked()
    assert json.loads((ROOT / "package.json").read_text())["dependencies"] == {
        "nhsuk-frontend": version  # exact: no range for npm to resolve differently
    }
    source = json.loads((vendor.TARGET / vendor.SOURCE).read_text())
    assert (source["version"], source["integrity"]) == (version, integrity)
    written = {
        str(path.relative_to(vendor.TARGET))
        for path in vendor.TARGET.rglob("*")
        if path.is_file() and path.name != vendor.SOURCE
    }
    assert written == set(source["files"]) >= {vendor.CSS, vendor.JS}
    for name, sha256 in source["files"].items():
        assert hashlib.sha256((vendor.TARGET / name).read_bytes()).hexdigest() == sha256, name


def test_the_vendored_css_loads_nothing_from_elsewhere_and_every_image_it_names_is_there() -> None:
    css = (vendor.TARGET / vendor.CSS).read_text()
    assert "@font-face" not in css
    assert "assets.nhs.uk" not in css
    assert "sourceMappingURL" not in css
    assert "sourceMappingURL" not in (vendor.TARGET / vendor.JS).read_text()
    images = re.findall(r"url\(([^)]+)\)", css)
    assert images
    for image in images:
        # Relative, so collectstatic's hashed names and STATIC_URL both apply.
        assert (vendor.TARGET / image).is_file(), image


def test_a_tarball_whose_sha512_is_not_the_locks_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    data = tarball("a{color:red}")
    other = vendor.integrity_of(b"something else")
    with pytest.raises(vendor.VendorError, match="refusing to use it"):
        vendor.install(data, version="1.0.0", integrity=other, target=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_fonts_from_nhs_uk_and_source_maps_go_and_root_images_become_files_beside_the_css(
    tmp_path: Path,
) -> None:
    css = (
        "@font-face{font-family:Frutiger W01;src:url(https://assets.nhs.uk/f.woff2)}"
        "body{font-family:Frutiger W01,arial,sans-serif}"
        ".x{background:url(/assets/images/cross.svg) no-repeat}"
        "\n/*# sourceMappingURL=nhsuk-frontend.min.css.map */"
    )
    data = tarball(
        css,
        js="const a=1;export{a};//# sourceMappingURL=nhsuk-frontend.min.js.map",
        **{"assets/images/cross.svg": b"<svg/>", "assets/images/unused.svg": b"<svg/>"},
    )
    target = tmp_path / "out"
    vendor.install(data, version="1.0.0", integrity=vendor.integrity_of(data), target=target)
    assert (target / vendor.CSS).read_text() == (
        "body{font-family:Frutiger W01,arial,sans-serif}"
        ".x{background:url(assets/images/cross.svg) no-repeat}"
    )
    assert (target / vendor.JS).read_text() == "const a=1;export{a};"
    assert (target / "assets/images/cross.svg").read_bytes() == b"<svg/>"
    assert not (target / "assets/images/unused.svg").exists()
    source = json.loads((target / vendor.SOURCE).read_text())
    assert source["integrity"] == vendor.integrity_of(data)


def test_a_tarball_missing_an_image_the_css_names_is_refused_plainly(tmp_path: Path) -> None:
    data = tarball(".x{background:url(/assets/images/gone.svg)}")
    with pytest.raises(vendor.VendorError, match=r"gone\.svg"):
        vendor.install(
            data, version="1.0.0", integrity=vendor.integrity_of(data), target=tmp_path / "o"
        )


def test_patient_pages_link_the_vendored_css_then_ours_and_start_its_script_from_a_file(
    clinic: Clinic, client: Client
) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client.get(f"/b/{token}")
    response = client.get("/book/")
    page = response.content.decode()
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    # style-src and script-src 'self': files from our origin need no nonce, and without one
    # two refusals stay byte for byte alike (tests/portal/test_enumeration.py).
    assert sheets == [
        "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css",
        "/static/slotlink/patient.css",
    ]
    assert re.findall(r"<script[^>]*>.*?</script>", page, re.S) == [
        '<script type="module" src="/static/slotlink/patient.js"></script>'
    ]
    assert "nonce-" not in response["Content-Security-Policy"]
    script = (ROOT / "slotlink/static/slotlink/patient.js").read_text()
    imported = re.search(r'from "\.\./(vendor/[^"]+)"', script).group(1)
    assert (ROOT / "slotlink/static" / imported).is_file()
    assert 'class="nhsuk-header"' in page
    assert 'class="nhsuk-footer"' in page
    assert "{#" not in page and "{%" not in page


@pytest.mark.parametrize("path", ["/no-such-page/", "/b/not-a-real-token"])
def test_pages_without_a_booking_use_the_design_system_too(
    db: None, client: Client, path: str
) -> None:
    page = client.get(path).content.decode()
    assert "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css" in page
    assert 'class="nhsuk-header"' in page


def test_the_server_error_page_uses_the_design_system_and_no_script() -> None:
    from django.template.loader import get_template

    page = get_template("500.html").render()
    assert "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css" in page
    assert "<script" not in page


def test_our_patient_css_is_no_copy_of_the_design_system() -> None:
    """It neither restyles the design system's classes nor brings NHS colours of its own: it
    uses the design system's custom properties, so they change when the package does."""
    css = OUR_CSS.read_text()
    assert not re.search(r"\.nhsuk-", css)
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b", css)


def test_patient_pages_use_the_design_systems_back_link_buttons_and_error_summary() -> None:
    """Our look-alike classes for them are gone from the patient templates (and from our CSS,
    by the test above)."""
    templates = ROOT / "slotlink" / "templates"
    patient = [
        path
        for path in templates.rglob("*.html")
        if '{% extends "base_patient.html" %}' in path.read_text()
    ]
    assert len(patient) > 10
    look_alikes = re.compile(
        r'class="(back-link|button|button button--warning|link-button|error-summary|hint|'
        r'error-message|visually-hidden|label|textarea|text-input[^"]*)"'
    )
    for path in patient:
        assert not look_alikes.search(path.read_text()), path


PATIENT_TEMPLATES = [
    path
    for path in (ROOT / "slotlink" / "templates").rglob("*.html")
    if '{% extends "base_patient.html" %}' in path.read_text()
    or path.name in {"base_patient.html", "_welcome_body.html", "_booked_body.html", "500.html"}
]
# Tags that write a patient page's repeated rows in Python, not in a template loop.
PATIENT_TAGS = ROOT / "slotlink" / "portal" / "templatetags" / "portal.py"
# The wrapper of the HTML a service writes itself (welcome, confirmation, information texts).
OURS_WITHOUT_STYLE = {"content"}


def css_classes(css: str) -> set[str]:
    """Every class a stylesheet's selectors name (comments and url()s left out)."""
    css = re.sub(r"/\*.*?\*/|url\([^)]*\)", "", css, flags=re.S)
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", css))


def template_classes(source: str) -> set[str]:
    """Every class a template can put on a patient page, whichever way its conditions go."""
    classes: set[str] = set()
    for value in re.findall(r'class="([^"]*)"', source):
        classes.update(re.sub(r"{%.*?%}", " ", value).split())
    return classes


def test_our_patient_css_defines_no_class_the_design_system_already_has_and_none_unused() -> None:
    ours = css_classes(OUR_CSS.read_text())
    assert ours, "the selectors were not read"
    assert not ours & css_classes((vendor.TARGET / vendor.CSS).read_text())
    used = set().union(
        *(template_classes(path.read_text()) for path in [*PATIENT_TEMPLATES, PATIENT_TAGS])
    )
    assert ours <= used


def test_every_class_on_a_patient_page_is_the_design_systems_or_one_of_the_few_of_ours() -> None:
    """No look-alike left (summary, panel, card, radios, date input, lead), and no misspelt
    nhsuk- class that would silently draw nothing."""
    assert len(PATIENT_TEMPLATES) > 20
    known = (
        css_classes((vendor.TARGET / vendor.CSS).read_text())
        | css_classes(OUR_CSS.read_text())
        | OURS_WITHOUT_STYLE
    )
    for path in PATIENT_TEMPLATES:
        unknown = template_classes(path.read_text()) - known
        assert not unknown, f"{path.name}: {sorted(unknown)}"


def only(pattern: str, page: str) -> str:
    """The one part of the page that matches."""
    found = re.findall(pattern, page, re.S)
    assert len(found) == 1, found
    return str(found[0])


@pytest.mark.usefixtures("frozen_now")
def test_the_booking_pages_are_built_from_the_design_systems_components(
    clinic: Clinic, client: Client
) -> None:
    _, token = booking_link_send(patient=clinic.patient, rule=clinic.rule, sent_by=clinic.admin)
    client.get(f"/b/{token}")

    welcome = client.get("/book/").content.decode()
    assert f'<p class="nhsuk-body-l">Hello {clinic.patient.first_name}.' in welcome
    assert '<dl class="nhsuk-summary-list">' in welcome

    times = client.get("/book/times/").content.decode()
    card = only(r'<div class="nhsuk-card">.*?</form>', times)
    assert '<h2 class="nhsuk-card__heading">First available time</h2>' in card
    days = only(r'<ul class="nhsuk-list nhsuk-list--border">.*?</ul>', times)
    day_url = re.findall(r'<li><a class="day-link" href="([^"]+)">', days)[0]

    day = client.get(day_url).content.decode()
    fieldset = only(r'<fieldset class="nhsuk-fieldset".*?</fieldset>', day)
    assert re.search(r'<legend class="nhsuk-fieldset__legend[^"]*"><h1 ', fieldset)
    radios = re.findall(r'<input class="nhsuk-radios__input" [^>]*type="radio"', day)
    assert radios and len(radios) == len(re.findall(r'class="nhsuk-radios__input"', fieldset))
    for option_id in re.findall(r'<input class="nhsuk-radios__input" id="([^"]+)"', day):
        assert f'<label class="nhsuk-label nhsuk-radios__label" for="{option_id}">' in day

    start = re.findall(r'name="start" value="([^"]+)"', day)[0]
    client.post("/book/choose/", {"start": start})
    review = client.get("/book/review/").content.decode()
    summary = only(r'<dl class="nhsuk-summary-list">.*?</dl>', review)
    assert (
        summary.count('<div class="nhsuk-summary-list__row">')
        == len(re.findall(r'<dt class="nhsuk-summary-list__key">', summary))
        == len(re.findall(r'<dd class="nhsuk-summary-list__value">', summary))
    )
    assert "Date and time" in summary

    client.post("/book/confirm/")
    booked = client.get("/book/booked/").content.decode()
    panel = only(r'<div class="nhsuk-panel">.*?</div>\s*</div>', booked)
    assert '<h1 class="nhsuk-panel__title">Your appointment is booked</h1>' in panel
    assert '<dl class="nhsuk-summary-list">' in booked


@pytest.mark.usefixtures("frozen_now")
def test_the_date_of_birth_is_the_design_systems_date_input_with_its_error_state(
    clinic: Clinic,
) -> None:
    appointment = book(clinic)
    client = open_manage(manage_token(appointment))

    asked = client.get("/manage/verify/").content.decode()
    only(r'<div class="nhsuk-date-input" id="born">', asked)
    assert len(re.findall(r'class="nhsuk-input nhsuk-date-input__input ', asked)) == 3
    assert "nhsuk-form-group--error" not in asked and "nhsuk-input--error" not in asked

    wrong = client.post("/manage/verify/", {"day": "31", "month": "2", "year": "1990"})
    page = wrong.content.decode()
    assert '<div class="nhsuk-form-group nhsuk-form-group--error">' in page
    assert len(re.findall(r"nhsuk-date-input__input [^\"]*nhsuk-input--error", page)) == 3
    assert 'aria-describedby="born-hint born-error"' in page

    client.post("/manage/verify/", born_form())
    home = client.get("/manage/").content.decode()
    assert '<dl class="nhsuk-summary-list">' in home
