"""Search parameters as FHIR writes them: prefixes on dates, token system|code, paging."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode

from django.http import HttpRequest

from slotlink.api.fhir.http import FhirError, Resource, invalid

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters every search takes; each search names its own besides. Totals are always
# counted, so _total (and some clients' _totalMethod) change nothing.
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
    prefix: str
    moment: datetime


def date_bounds(values: list[str], name: str, zone: object = UTC) -> list[Bound]:
    bounds = []
    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        bounds.append(Bound(prefix, _moment(text, name)))
    return bounds


def _moment(text: str, name: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"{name}: {text!r} is not a date (YYYY-MM-DD) or an instant.") from None
    if moment.tzinfo is None:
        raise invalid(f"{name}: give the instant's offset, e.g. {text}+00:00 or {text}Z.")
    if not 2000 <= moment.year <= 2200:
        raise invalid(f"{name}: {text!r} is out of range.")
    return moment.astimezone(UTC)


def is_day(raw: str) -> bool:
    text = raw[2:] if raw[:2] in _PREFIXES else raw
    return len(text) == 10


def bundle(
    request: HttpRequest,
    resources: list[Resource],
    *,
    total: int,
    at: Page,
    full_url: str,
) -> Resource:
    """A searchset Bundle of one page, with self, next and previous links that keep the
    search's own parameters."""
    base = {k: v for k, v in request.GET.lists() if k not in {"_offset", "_count"}}
    here = request.build_absolute_uri(request.path)

    def link(relation: str, offset: int) -> dict[str, str]:
        query = urlencode({**base, "_count": [str(at.count)], "_offset": [str(offset)]}, doseq=True)
        return {"relation": relation, "url": f"{here}?{query}"}

    links = [link("self", at.offset)]
    if at.count and at.offset + at.count < total:
        links.append(link("next", at.offset + at.count))
    if at.offset > 0:
        links.append(link("previous", max(0, at.offset - at.count)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
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


def check_bounds(bounds: list[Bound], name: str) -> None:
    for bound in bounds:
        if bound.prefix not in _PREFIXES:
            raise FhirError(400, "invalid", f"{name} takes the prefixes {', '.join(_PREFIXES)}.")
