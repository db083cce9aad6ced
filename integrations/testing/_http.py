"""What the fake provider servers share: a threaded loopback HTTP server, JSON helpers,
request counting and fault injection."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlparse


@dataclass
class Fault:
    method: str
    path_contains: str
    status: int
    body: dict
    headers: dict[str, str]
    remaining: int


@dataclass
class Delay:
    method: str
    path_contains: str
    seconds: float
    remaining: int


class FakeServer:
    """Runs a handler class on 127.0.0.1 at an ephemeral port in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.delays: list[Delay] = []
        self.request_counts: Counter[str] = Counter()
        self.request_log: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                return

            def _dispatch(self):
                fake._handle(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- faults and counting -----------------------------------------------------------------
    def inject_fault(
        self,
        *,
        method: str,
        path_contains: str,
        status: int,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        with self.lock:
            self.faults.append(
                Fault(method.upper(), path_contains, status, body or {}, headers or {}, times)
            )

    def inject_delay(
        self, *, method: str, path_contains: str, seconds: float, times: int = 1
    ) -> None:
        """The request is carried out at once but answered only after `seconds`, as a slow
        provider does: the change is made even if the caller dies before it hears back."""
        with self.lock:
            self.delays.append(Delay(method.upper(), path_contains, seconds, times))

    def reset(self) -> None:
        """Forget faults, delays and counts (a module-scoped server between tests)."""
        with self.lock:
            self.faults.clear()
            self.delays.clear()
        self.reset_counts()

    def _take_delay(self, method: str, path: str) -> float:
        with self.lock:
            for delay in self.delays:
                if delay.method == method and delay.path_contains in path and delay.remaining:
                    delay.remaining -= 1
                    return delay.seconds
        return 0.0

    def total_requests(self) -> int:
        with self.lock:
            return sum(self.request_counts.values())

    def reset_counts(self) -> None:
        with self.lock:
            self.request_counts.clear()
            self.request_log.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and fault.path_contains in path and fault.remaining:
                    fault.remaining -= 1
                    return fault
        return None

    # --- request plumbing ----------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        request = Request(
            method=handler.command,
            path=parsed.path,
            query={key: values[-1] for key, values in parse_qs(parsed.query).items()},
            headers={key.lower(): value for key, value in handler.headers.items()},
            raw_body=raw,
            raw_query=parsed.query,
        )
        with self.lock:
            self.request_counts[request.method] += 1
            self.request_log.append((request.method, request.path))
        fault = self._take_fault(request.method, request.path)
        if fault is not None:
            response = Response(fault.status, fault.body, fault.headers)
        else:
            with self.lock:
                response = self.route(request)
        body = response.body_bytes()
        delay = self._take_delay(request.method, request.path)
        if delay:
            time.sleep(delay)
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(body)))
            for key, value in response.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the caller died while waiting (a killed worker)

    def route(self, request: Request) -> Response:
        """Each fake overrides this with its endpoints; the base knows none."""
        return Response(404, {"error": "no such endpoint"})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes
    # The query as sent: `query` keeps one value per key, and Canvas repeats `include[]`.
    raw_query: str = ""

    @property
    def raw_query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.raw_query, keep_blank_values=True)

    def query_values(self, key: str) -> list[str]:
        return [value for name, value in self.raw_query_pairs if name == key]

    def json(self) -> Any:
        return json.loads(self.raw_body or b"{}")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.raw_body.decode()).items()}

    @property
    def bearer(self) -> str:
        value = self.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else ""


class Response:
    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=UTF-8",
    ):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.content_type = content_type

    def body_bytes(self) -> bytes:
        if self.status == 204:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body if self.body is not None else {}).encode()
