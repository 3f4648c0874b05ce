"""Server-sent events: an incremental decoder for response streams and an encoder for replays.

The decoder works on bytes so that a chunk may end anywhere, even inside a UTF-8 sequence or
between the ``\\r`` and ``\\n`` of a line break: only complete lines are decoded, and a line never
ends inside a multi-byte sequence. It splits on ``\\n``, ``\\r\\n`` and ``\\r`` only (the SSE line
terminators), never on the other characters :meth:`str.splitlines` treats as breaks.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SSEDecoder", "ServerSentEvent", "encode_event"]


class ServerSentEvent(NamedTuple):
    event: str | None
    data: str


class SSEDecoder:
    """Turns a byte stream, fed in arbitrary chunks, into events (WHATWG event-stream rules)."""

    __slots__ = ("_data", "_event", "_pending", "_skip_lf")

    def __init__(self) -> None:
        self._pending: list[bytes] = []  # the start of an unterminated line
        self._skip_lf = False  # the previous chunk ended in "\r": a leading "\n" belongs to it
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events completed by ``chunk``."""
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not chunk:
            return []
        if b"\n" not in chunk and b"\r" not in chunk:
            self._pending.append(chunk)  # joined once the line ends: no quadratic re-scan
            return []
        if self._pending:
            self._pending.append(chunk)
            chunk = b"".join(self._pending)
            self._pending = []
        lines = chunk.splitlines(keepends=True)
        last = lines[-1]
        if last[-1:] in (b"\n", b"\r"):
            self._skip_lf = last[-1:] == b"\r"
        else:
            self._pending.append(last)
            lines.pop()
        out: list[ServerSentEvent] = []
        for raw in lines:
            self._line(raw.rstrip(b"\r\n"), out)
        return out

    def finish(self) -> list[ServerSentEvent]:
        """Events still pending at the end of the body (a last line or event without terminator)."""
        out: list[ServerSentEvent] = []
        if self._pending:
            self._line(b"".join(self._pending), out)
            self._pending = []
        self._line(b"", out)
        return out

    def _line(self, raw: bytes, out: list[ServerSentEvent]) -> None:
        if not raw:
            if self._data or self._event is not None:
                out.append(ServerSentEvent(self._event, "\n".join(self._data)))
                self._event = None
                self._data = []
            return
        line = raw.decode("utf-8", "replace")
        if line[0] == ":":
            return
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


def encode_event(data: bytes, event: str | None = None) -> bytes:
    """One SSE event; ``data`` must be a single line (compact JSON always is)."""
    if event is None:
        return b"data: " + data + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"
