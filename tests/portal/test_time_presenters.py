"""The strings the times and day pages show, made once in Python rather than by template
filters for each of dozens of times. Pure functions: no database."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.template.defaultfilters import slugify
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from slotlink.portal.presenters import (
    DayChoice,
    FirstAvailable,
    TimeOption,
    group_days,
    with_therapists,
)
from slotlink.portal.templatetags.portal import day_links, time_radios

LONDON = ZoneInfo("Europe/London")

instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.one_of(
        st.timezones(),
        st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    ),
)


@given(instants, st.one_of(st.none(), st.integers(1, 10**9)))
def test_a_times_html_id_is_what_slugify_made_of_its_value(
    start: datetime, therapist: int | None
) -> None:
    value = start.isoformat() + (f"@{therapist}" if therapist else "")
    assert TimeOption(value=value, label="", hour=0).html_id == slugify(value)


def test_the_day_pages_options_keep_their_ids_with_a_therapist_chosen() -> None:
    start = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    (day,) = group_days([start], LONDON)
    (option,) = with_therapists(day, {start: [(7, "Sam Example")]}).times
    assert option.value == "2026-12-02T09:30:00+00:00@7"
    assert option.html_id == "2026-12-02t0930000000" + "7"


def test_the_first_available_time_is_named_in_full_in_the_pages_language() -> None:
    start = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    first = FirstAvailable.of(start, LONDON)
    assert first == FirstAvailable(
        value="2026-12-02T09:30:00+00:00", label="Wednesday 2 December at 9:30am"
    )
    with translation.override("cy"):
        assert FirstAvailable.of(start, LONDON).label == "Dydd Mercher 2 Rhagfyr am 9:30yb"


def test_the_first_available_time_is_on_the_services_clock() -> None:
    # 00:30 UTC on a summer's day is 1:30am in London, a day later than in New York.
    start = datetime(2026, 7, 1, 0, 30, tzinfo=UTC)
    assert FirstAvailable.of(start, LONDON).label == "Wednesday 1 July at 1:30am"
    assert (
        FirstAvailable.of(start, ZoneInfo("America/New_York")).label == "Tuesday 30 June at 8:30pm"
    )


# The loop day.html held before its radios were written by one tag (time_radios).
RADIOS_LOOP = Template(
    """{% for option in times %}
            <div class="nhsuk-radios__item">
              <input class="nhsuk-radios__input" id="{{ option.html_id }}" type="radio" name="start" value="{{ option.value }}">
              <label class="nhsuk-label nhsuk-radios__label" for="{{ option.html_id }}">{{ option.label }}</label>
            </div>
          {% endfor %}"""  # noqa: E501 - the template's own lines
)


# No deadline: each example renders through Django's template engine, which a busy machine
# slows past Hypothesis's 200 ms (seen under load); what is checked is the HTML, not the time.
@settings(deadline=None)
@given(st.lists(st.tuples(instants, st.integers(1, 10**9), st.text()), max_size=5))
def test_the_day_pages_radios_are_what_its_template_loop_wrote_escaped_alike(
    options: list[tuple[datetime, int, str]],
) -> None:
    # Labels hold therapists' names, which staff type: anything, markup included.
    times = [
        TimeOption(value=f"{start.isoformat()}@{therapist}", label=label, hour=0)
        for start, therapist, label in options
    ]
    assert time_radios(times) == RADIOS_LOOP.render(Context({"times": times}))


def test_the_day_pages_radios_escape_a_therapists_name() -> None:
    option = TimeOption(
        value="2026-12-02T09:30:00+00:00@7", label="9:30am with <b>O'Neil</b>", hour=9
    )
    assert "9:30am with &lt;b&gt;O&#x27;Neil&lt;/b&gt;</label>" in time_radios([option])


# The loop times.html held before its days were written by one tag (day_links).
DAYS_LOOP = Template(
    """{% for day in days %}
      <li><a class="day-link" href="{{ day.url }}">{{ day.label }}</a></li>
    {% endfor %}"""
)


@settings(deadline=None)
@given(st.lists(st.tuples(st.text(), st.text()), max_size=5))
def test_the_times_pages_day_links_are_what_its_template_loop_wrote_escaped_alike(
    days: list[tuple[str, str]],
) -> None:
    choices = [DayChoice(label=label, url=url) for label, url in days]
    assert day_links(choices) == DAYS_LOOP.render(Context({"days": choices}))
