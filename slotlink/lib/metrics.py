"""The Prometheus metrics counted as things happen (prometheus-client). Any module may import
this one; it imports no app. The figures read from the database at scrape time (outbox depth,
texts and links by state) are computed by slotlink.ops instead.

Under gunicorn every worker process counts for itself: `scripts/serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before the workers start, so each writes its
counts there and /metrics adds them up (prometheus-client's multiprocess mode). Without it, as
under runserver and in tests, the counts live in the one process."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "slotlink_http_requests",
    "Requests answered, by route name (never the path: some carry a token), method and status.",
    ["route", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "slotlink_http_request_duration_seconds",
    "Time from a request reaching Django to its response, by route name and method.",
    ["route", "method"],
)
BOOKINGS = Counter(
    "slotlink_bookings",
    "Appointments patients booked online through a booking link.",
)
LOCKOUTS = Counter(
    "slotlink_lockouts",
    "Lock-outs after too many failed tries: staff logins (an account or a client) and "
    "patients' verification (a manage link or a client).",
    ["kind"],
)
STAFF_LOGIN = "staff_login"
PATIENT_VERIFICATION = "patient_verification"
