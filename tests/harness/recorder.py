"""A recording relay in front of the proxy: what a CLI really sent, and what it got back.

Used only when re-recording cassettes (``SKVM_RECORD=1``): the CLI talks to the relay, the relay
forwards every request unchanged to the proxy and streams the answer back as it arrives (chunk
by chunk, so SSE timing is kept), keeping a copy of both. The proxy's own view cannot serve here:
what reaches the upstream is already rewritten, and the cassettes must hold the harness's
original requests.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    }
)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request as the CLI sent it and the response as the CLI received it."""

    seq: int
    """Arrival order (exchanges complete out of order when a CLI sends calls concurrently)."""
    method: str
    target: str
    """Path and query, as on the request line."""
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RelayServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._relay()

    def do_HEAD(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def do_PUT(self) -> None:
        self._relay()

    def do_DELETE(self) -> None:
        self._relay()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _relay(self) -> None:
        seq = self.server.next_seq()
        body = self._read_body()
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        upstream = http.client.HTTPConnection(self.server.target_host, self.server.target_port)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                upstream.putheader(name, value)
            if body or self.command in ("POST", "PUT"):
                upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body or None)
            response = upstream.getresponse()
            answer = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            self.send_response(response.status, response.reason)
            for name, value in answer:
                self.send_header(name, value)
            received = bytearray()
            if self.command == "HEAD":
                self.send_header("Content-Length", response.getheader("content-length") or "0")
                self.end_headers()
            else:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                while chunk := response.read1(65536):
                    received += chunk
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            self.server.add(
                Exchange(
                    seq=seq,
                    method=self.command,
                    target=self.path,
                    headers=tuple(headers),
                    body=body,
                    status=response.status,
                    reason=response.reason,
                    response_headers=tuple(answer),
                    response_body=bytes(received),
                )
            )
        finally:
            upstream.close()


class _RelayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        parts = urlsplit(target)
        self.target_host = parts.hostname or "127.0.0.1"
        self.target_port = parts.port or 80
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []
        self._seq = 0

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)


class RecordingRelay:
    """A context manager serving the relay on 127.0.0.1 (a thread of its own)."""

    def __init__(self, target: str) -> None:
        self._server = _RelayServer(target)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="harness-recording-relay", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def exchanges(self) -> list[Exchange]:
        """Completed exchanges in the order their requests arrived."""
        with self._server._lock:
            return sorted(self._server.exchanges, key=lambda e: e.seq)

    def __enter__(self) -> RecordingRelay:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
