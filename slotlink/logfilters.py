"""Keep link tokens out of every log line (request logs include the path)."""

import logging
import re

_TOKEN_PATH = re.compile(r"/(b|m)/[A-Za-z0-9_\-]{8,}")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_PATH.sub(r"/\1/[redacted]", message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
