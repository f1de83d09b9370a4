"""How long a text message is, as a phone network counts it, and which Markdown links are
allowed on patient pages. Pure functions: no database."""

import pytest

from slotlink.lib.language import language_of
from slotlink.lib.richtext import insecure_links, markdown_links
from slotlink.lib.sms import (
    is_gsm7,
    sms_as_sent,
    sms_length,
    sms_template_length,
    unknown_placeholders,
)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),  # 2 × 153
        ("a" * 307, "GSM-7", 307, 3),
        ("a" * 459, "GSM-7", 459, 3),
        ("a" * 460, "GSM-7", 460, 4),
        ("é£¥ÄÖÑÜäöñüà@$_" * 10, "GSM-7", 150, 1),  # all in the basic alphabet
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count twice
        ("€" * 81, "GSM-7", 162, 2),
        ("[]{}^~|\\", "GSM-7", 16, 1),
        ("ë" * 70, "UCS-2", 70, 1),
        ("ë" * 71, "UCS-2", 71, 2),
        ("ë" * 134, "UCS-2", 134, 2),  # 2 × 67
        ("ë" * 135, "UCS-2", 135, 3),
        ("’" + "a" * 69, "UCS-2", 70, 1),  # one curly quote turns the whole text UCS-2
        ("😀" * 35, "UCS-2", 70, 1),  # beyond the BMP: two UTF-16 units each
        ("😀" * 36, "UCS-2", 72, 2),
    ],
)
def test_sms_length_counts_units_and_parts_like_a_phone_network(
    text: str, encoding: str, units: int, segments: int
) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_gsm7_knows_its_alphabet() -> None:
    assert is_gsm7("Hello, you can book: https://x.example/b/abc_DEF-123 until Monday.")
    assert not is_gsm7("Zoë")
    assert not is_gsm7("\x1b")  # the escape character itself is not text


def test_summary_reads_naturally() -> None:
    assert sms_length("hi").summary == "2 characters (GSM-7) · 1 text message"
    assert sms_length("x" * 200).summary == "200 characters (GSM-7) · 2 text messages"


def test_template_length_measures_with_a_real_length_link_and_the_longest_date() -> None:
    length = sms_template_length(
        "{link} {expiry_date}", service_name="S", base_url="https://book.example.nhs.uk"
    )
    link = len("https://book.example.nhs.uk/b/") + 43
    assert length.units == link + 1 + len("Wednesday 30 September")


def test_unknown_placeholders_are_listed_once_each_in_order() -> None:
    assert unknown_placeholders("{b} {a} {b} {first_name} {link}") == ["a", "b"]
    assert unknown_placeholders("{first_name} {service_name} {link} {expiry_date}") == []


def test_markdown_links_include_autolinks_and_reference_links() -> None:
    source = "[a](https://a.example) <https://b.example>\n\n[c][ref]\n\n[ref]: https://c.example"
    assert markdown_links(source) == [
        "https://a.example",
        "https://b.example",
        "https://c.example",
    ]


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("[ok](https://www.example.com)", []),
        ("[call](tel:01134960500) [mail](mailto:help@example.com)", []),
        ("[plain](http://www.example.com)", ["http://www.example.com"]),
        ("<http://auto.example>", ["http://auto.example"]),
        ("[ftp](ftp://files.example)", ["ftp://files.example"]),
        ("[relative](/somewhere)", ["/somewhere"]),
        ("[shout](HTTPS://LOUD.EXAMPLE)", []),
        ("Just text, http://not-a-link.example", []),  # not a link: shown as text only
    ],
)
def test_insecure_links_are_those_not_to_https_phone_or_email(source: str, bad: list[str]) -> None:
    assert insecure_links(source) == bad


# What each provider puts on the network, and so what the meter must count: GOV.UK Notify
# rewrites typographic punctuation and invisible spacing (notifications-utils' SanitiseSMS) and
# keeps every letter; Twilio sends exactly what it is given.
@pytest.mark.parametrize(
    ("text", "provider", "sent", "encoding"),
    [
        ("We’ll see you", "notify", "We'll see you", "GSM-7"),
        ("We’ll see you", "twilio", "We’ll see you", "UCS-2"),
        ("‘Hi’ “there”", "notify", "'Hi' \"there\"", "GSM-7"),
        ("9am – 5pm — or later…", "notify", "9am - 5pm - or later...", "GSM-7"),
        ("9am – 5pm", "twilio", "9am – 5pm", "UCS-2"),
        ("0113\u00a0496\u00a00123", "notify", "0113 496 0123", "GSM-7"),
        ("a\u202fb\tc", "notify", "a b c", "GSM-7"),
        ("gov\u200b.uk\u2060\ufeff", "notify", "gov.uk", "GSM-7"),
        ("minus \u2212 and \u2011 hyphen", "notify", "minus - and - hyphen", "GSM-7"),
        ("‚low‘ „quotes“", "notify", "'low' \"quotes\"", "GSM-7"),
        # Welsh letters with a circumflex (or a diaeresis GSM-7 lacks) stay, and make it UCS-2.
        ("Dŵr", "notify", "Dŵr", "UCS-2"),
        ("Ŷ ŷ Ŵ ŵ", "notify", "Ŷ ŷ Ŵ ŵ", "UCS-2"),
        ("â ê î ô û", "notify", "â ê î ô û", "UCS-2"),
        ("Â Ê Î Ô Û", "notify", "Â Ê Î Ô Û", "UCS-2"),
        ("copïo, ddeëllir", "notify", "copïo, ddeëllir", "UCS-2"),
        ("Peidiwch â’i rannu", "notify", "Peidiwch â'i rannu", "UCS-2"),
        ("Dŵr", "twilio", "Dŵr", "UCS-2"),
        # GSM-7's own accented letters need nothing.
        ("Zoë", "notify", "Zoë", "UCS-2"),
        ("é à ü ö ä ñ", "notify", "é à ü ö ä ñ", "GSM-7"),
        # The outbox sends nothing; it counts the text as given.
        ("We’ll", "outbox", "We’ll", "UCS-2"),
    ],
)
def test_each_provider_sends_and_counts_what_it_really_puts_on_the_network(
    text: str, provider: str, sent: str, encoding: str
) -> None:
    assert sms_as_sent(text, provider) == sent
    length = sms_length(text, provider)
    assert length.encoding == encoding
    assert length.units == sms_length(sent).units


def test_one_curly_apostrophe_costs_twilio_two_texts_and_notify_one() -> None:
    text = "It’s time to book your appointment. " + "x" * 100
    assert sms_length(text, "notify").segments == 1
    assert sms_length(text, "twilio").segments == 3


def test_a_welsh_template_is_measured_with_its_welsh_date() -> None:
    with language_of("cy"):
        length = sms_template_length(
            "{expiry_date}", service_name="S", base_url="https://x", provider="notify"
        )
    assert length.units == len("Dydd Mercher 30 Medi")
