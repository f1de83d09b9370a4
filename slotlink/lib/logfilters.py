"""What every log line carries, and what none may: link tokens never (request logs include the
path); the request's id and service when there is one; one JSON object per line in production.

Imports no Django, so gunicorn's own configuration can use the JSON formatter too."""

import logging
import re
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_TOKEN_PATH = re.compile(r"/(b|m|s)/[A-Za-z0-9_\-]{8,}")

# Set for the length of a request by slotlink.lib.requestlog.RequestLogMiddleware.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
service_id: ContextVar[int | None] = ContextVar("service_id", default=None)


def redact(text: str) -> str:
    return _TOKEN_PATH.sub(r"/\1/[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


class RequestContext(logging.Filter):
    """Every line logged while a request is being answered names that request and, once it is
    known, the service (so a line from deep inside a view can be tied to its request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.service_id = service_id.get()
        return True


class JsonLines(JsonFormatter):
    """One JSON object per line, holding only the fields below. Libraries attach more to their
    records (django.request and django.server attach the request itself, whose text holds the
    path), so whatever else a record carries is left out, not serialised; and the finished line
    is redacted once more, tracebacks included."""

    FIELDS = (
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "service_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "exc_info",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601, in UTC
        super().__init__(*args, **kwargs)

    def add_fields(
        self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_record, record, message_dict)
        for key in [key for key in log_record if key not in self.FIELDS]:
            del log_record[key]
        for key in ("request_id", "service_id"):
            if log_record.get(key) is None:
                log_record.pop(key, None)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
