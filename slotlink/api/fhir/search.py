"""Search parameters as FHIR writes them: prefixes on dates, token system|code, paging."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from urllib.parse import urlencode

from django.db.models import Q
from django.http import HttpRequest

from slotlink.api.fhir.http import Resource, invalid

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters every search takes; each search names its own besides. Totals are counted
# wherever that is cheap, so there _total (and some clients' _totalMethod) change nothing.
COMMON = frozenset({"_count", "_offset", "_format", "_total", "_totalMethod"})


def params(request: HttpRequest, allowed: frozenset[str]) -> dict[str, list[str]]:
    found = {name: request.GET.getlist(name) for name in request.GET}
    unknown = sorted(set(found) - allowed - COMMON)
    if unknown:
        raise invalid(
            f"Unknown search parameter {unknown[0]!r}; this search takes: "
            f"{', '.join(sorted(allowed))}."
        )
    return found


def one(found: dict[str, list[str]], name: str) -> str | None:
    values = found.get(name)
    if not values:
        return None
    if len(values) > 1 or "," in values[0]:
        raise invalid(f"Give {name} once, with one value.")
    return values[0]


@dataclass(frozen=True)
class Page:
    count: int
    offset: int


def page(found: dict[str, list[str]]) -> Page:
    count = _whole(one(found, "_count"), "_count", DEFAULT_COUNT)
    offset = _whole(one(found, "_offset"), "_offset", 0)
    return Page(min(count, MAX_COUNT), offset)


def _whole(raw: str | None, name: str, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise invalid(f"{name} must be a whole number, got {raw!r}.")
    return int(raw)


def token(raw: str, system: str, name: str) -> str:
    """The code of a system|code token, checking the system when one is given."""
    given, bar, code = raw.rpartition("|")
    if bar and given and given != system:
        raise invalid(f"{name} searches only the system {system}.")
    if not code:
        raise invalid(f"{name} needs a value.")
    return code


_PREFIXES = ("eq", "ge", "gt", "le", "lt")


@dataclass(frozen=True)
class Bound:
    """A date search value: its prefix and the span [start, end) it names, a whole local day
    for a date (the service's day, clock changes included) or one second for an instant."""

    prefix: str
    start: datetime
    end: datetime

    def q(self, field: str) -> Q:
        """FHIR's prefixes, for an instant held in `field`."""
        return {
            "eq": Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end}),
            "ge": Q(**{f"{field}__gte": self.start}),
            "gt": Q(**{f"{field}__gte": self.end}),
            "lt": Q(**{f"{field}__lt": self.start}),
            "le": Q(**{f"{field}__lt": self.end}),
        }[self.prefix]


def date_bounds(values: list[str], name: str, zone: tzinfo) -> list[Bound]:
    bounds = []
    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        bounds.append(_bound(prefix, text, name, zone))
    return bounds


def _bound(prefix: str, text: str, name: str, zone: tzinfo) -> Bound:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        else:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
            end = start + timedelta(seconds=1)
    except (ValueError, OverflowError):
        raise invalid(f"{name}: {text!r} is not a date (YYYY-MM-DD) or an instant.") from None
    if start.tzinfo is None:
        raise invalid(f"{name}: give the instant's offset, e.g. {text}+00:00 or {text}Z.")
    if not 1900 <= start.year <= 2200:
        raise invalid(f"{name}: {text!r} is out of range.")
    return Bound(prefix, start.astimezone(UTC), end.astimezone(UTC))


def total_asked(found: dict[str, list[str]]) -> bool:
    """Whether the client asks for an exact total (`_total=accurate`, or `_count=0`: only the
    count); `none` and `estimate` are answered with none."""
    value = one(found, "_total")
    if value not in {None, "none", "estimate", "accurate"}:
        raise invalid(f"_total must be none, estimate or accurate, got {value!r}.")
    return value == "accurate" or one(found, "_count") == "0"


def bundle(
    request: HttpRequest,
    resources: list[Resource],
    *,
    total: int | None,
    at: Page,
    full_url: str,
    more: bool = False,
) -> Resource:
    """A searchset Bundle of one page, with self, next and previous links that keep the
    search's own parameters. Without a `total` (it is optional in FHIR) `more` says whether
    there is a next page."""
    base = {k: v for k, v in request.GET.lists() if k not in {"_offset", "_count"}}
    here = request.build_absolute_uri(request.path)

    def link(relation: str, offset: int) -> dict[str, str]:
        query = urlencode({**base, "_count": [str(at.count)], "_offset": [str(offset)]}, doseq=True)
        return {"relation": relation, "url": f"{here}?{query}"}

    links = [link("self", at.offset)]
    if total is not None:
        more = at.offset + at.count < total
    if at.count and more:
        links.append(link("next", at.offset + at.count))
    if at.offset > 0:
        links.append(link("previous", max(0, at.offset - at.count)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        **({} if total is None else {"total": total}),
        "link": links,
        "entry": [
            {
                "fullUrl": f"{full_url}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
