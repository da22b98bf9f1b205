"""A webhook receiver for tests: a threaded HTTP server on a free loopback port.

It records every request (headers and exact body bytes) and answers with programmable status
codes: ``Receiver(statuses=[500, 500])`` fails twice, then answers ``default_status``.
``drip_s`` answers one byte every ``drip_s`` seconds (the body only, or from the status line with
``drip_head``): a receiver that is never quite silent, so no socket timeout ever trips.
``arrivals`` keeps when each request arrived (``time.monotonic()``), before any delay or answer.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.json()["id"]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A sender that hangs up mid-request (a SIGKILLed worker) is expected here, not an error."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Receiver:
    def __init__(self, statuses: list[int] | None = None, default_status: int = 200, delay_s: float = 0.0, host: str = "127.0.0.1", reply: bytes | None = None, headers: dict | None = None, drip_s: float = 0.0, drip_head: bool = False):
        self.statuses = list(statuses or [])
        self.connections: set = set()  # client (address, port) pairs seen: one per kept-alive connection
        self.default_status = default_status
        self.delay_s = delay_s
        self.requests: list[Received] = []
        self.arrivals: list[float] = []
        self.active = 0  # requests being answered now
        self.max_active = 0  # the most answered at once
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) != length:  # the sender died mid-request (a killed worker): not a delivery
                    self.close_connection = True
                    return
                with receiver._lock:
                    receiver.arrivals.append(time.monotonic())
                    receiver.active += 1
                    receiver.max_active = max(receiver.max_active, receiver.active)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                with receiver._lock:
                    receiver.connections.add(self.client_address)
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    receiver.active -= 1
                    receiver._lock.notify_all()
                body_out = reply if reply is not None else json.dumps({"received": True, "status": status}).encode()
                if drip_s:
                    self._drip(status, body_out)
                    return
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body_out)))
                self.end_headers()
                self.wfile.write(body_out)

            def _drip(self, status: int, body_out: bytes) -> None:
                head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(body_out)}\r\n\r\n".encode()
                out, start = head + body_out, 0 if drip_head else len(head)
                self.close_connection = True
                self.wfile.write(out[:start])
                self.wfile.flush()
                for i in range(start, len(out)):
                    time.sleep(drip_s)
                    self.wfile.write(out[i : i + 1])
                    self.wfile.flush()

            def log_message(self, *args):
                pass

        self.server = _QuietServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until ``count`` requests arrived (or fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} webhook requests, got {len(self.requests)} in {timeout}s")
                self._lock.wait(left)
            return list(self.requests)

    def events(self, event_type: str | None = None) -> list[dict]:
        with self._lock:
            bodies = [r.json() for r in self.requests]
        return [b for b in bodies if event_type is None or b["event"] == event_type]
