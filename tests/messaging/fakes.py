"""Local HTTP servers that answer like GOV.UK Notify and Twilio, so provider tests never
touch the internet. Each takes a script of answers for its sends ("ok", a status code, or
"timeout" — accept the message, then answer too late) and records what it accepted."""

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TIMEOUT_PAUSE = 1.5  # longer than the tests' provider timeout


@dataclass
class FakeProvider:
    script: list[Any] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> Any:
        with self.lock:
            self.attempts += 1
            return self.script.pop(0) if self.script else "ok"

    def accept(self, record: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.accepted.append(record)
        return record


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProvider

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer_send(self, record: dict[str, Any], success: dict[str, Any]) -> None:
        answer = self.fake.next_answer()
        if answer == "ok":
            self.fake.accept(record)
            self._reply(201, success)
        elif answer == "timeout":
            self.fake.accept(record)  # the provider took it; the answer never arrives in time
            time.sleep(TIMEOUT_PAUSE)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._reply(201, success)
        else:
            self._reply(int(answer), self.error_payload(int(answer)))

    def error_payload(self, status: int) -> dict[str, Any]:
        raise NotImplementedError


class _NotifyHandler(_Handler):
    def error_payload(self, status: int) -> dict[str, Any]:
        messages = {
            400: "phone_number Not a UK mobile number",
            403: "Invalid token",
            429: "Exceeded rate limit",
            500: "Internal server error",
        }
        error = {"error": "Error", "message": messages.get(status, "Error")}
        return {"status_code": status, "errors": [error]}

    def do_POST(self) -> None:
        data = json.loads(self._body())
        notification_id = str(uuid.uuid4())
        record = {
            "id": notification_id,
            "reference": data.get("reference"),
            "to": data.get("phone_number"),
            "body": data["personalisation"]["body"],
        }
        self._answer_send(record, {"id": notification_id, "reference": data.get("reference")})

    def do_GET(self) -> None:
        reference = parse_qs(urlsplit(self.path).query).get("reference", [""])[0]
        found = [
            {"id": r["id"], "reference": r["reference"], "status": "sending"}
            for r in self.fake.accepted
            if r["reference"] == reference
        ]
        self._reply(200, {"notifications": found, "links": {}})


class _TwilioHandler(_Handler):
    def error_payload(self, status: int) -> dict[str, Any]:
        return {
            "code": 21211,
            "message": "The 'To' number is not a valid phone number.",
            "status": status,
            "more_info": "",
        }

    def do_POST(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
        sid = "SM" + uuid.uuid4().hex
        record = {
            "sid": sid,
            "to": form.get("To"),
            "body": form.get("Body"),
            "from": form.get("From"),
        }
        self._answer_send(
            record, {"sid": sid, "status": "queued", "body": form.get("Body"), "to": form.get("To")}
        )

    def do_GET(self) -> None:
        to = parse_qs(urlsplit(self.path).query).get("To", [""])[0]
        found = [
            {"sid": r["sid"], "to": r["to"], "body": r["body"], "status": "sent"}
            for r in self.fake.accepted
            if r["to"] == to
        ]
        self._reply(200, {"messages": found, "next_page_uri": None, "page": 0, "page_size": 50})


@contextmanager
def fake_server(handler: type[_Handler]) -> Iterator[FakeProvider]:
    fake = FakeProvider()
    bound = type("BoundHandler", (handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        assert not thread.is_alive(), "the fake provider did not stop"


def fake_notify() -> Any:
    return fake_server(_NotifyHandler)


def fake_twilio() -> Any:
    return fake_server(_TwilioHandler)


# A key in Notify's format: name, then service id and secret (UUIDs).
NOTIFY_TEST_KEY = f"test-{uuid.UUID(int=1)}-{uuid.UUID(int=2)}"
