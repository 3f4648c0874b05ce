"""Shared skeletons of the incremental response parsers (plain JSON body or SSE stream).

Both never raise on what upstream sends: a body that is not JSON, an event of an unknown type or
an unexpected shape is skipped. Upstream errors (an error body, an ``error`` event, a failed
response) are exposed on ``error``; ``finish`` always returns the turn received so far.
"""

from __future__ import annotations

import contextlib
from typing import Any

from adapters.ir import AssistantTurn
from adapters.wire._jsonutil import as_str, parse_json
from adapters.wire._sse import SSEDecoder

__all__ = ["JsonBodyParser", "SseStreamParser", "error_text"]

_SHAPE_ERRORS = (AttributeError, KeyError, IndexError, TypeError, ValueError)


def error_text(error: Any) -> str:
    """``type: message`` of an error object as both providers send it (or its text)."""
    if isinstance(error, dict):
        message = as_str(error.get("message")) or ""
        kind = as_str(error.get("type")) or as_str(error.get("code"))
        if kind and message:
            return f"{kind}: {message}"
        return message or kind or "error"
    if isinstance(error, str) and error:
        return error
    return "error"


class JsonBodyParser:
    """Buffers a non-streaming body; the codec reads the document once it is complete."""

    __slots__ = ("_chunks", "complete", "error")

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.error: str | None = None
        self.complete = False

    def feed(self, data: bytes) -> None:
        self._chunks.append(data)

    def finish(self) -> AssistantTurn:
        doc = parse_json(b"".join(self._chunks))
        if not isinstance(doc, dict):
            self.error = "response body is not a JSON object"
            return AssistantTurn()
        self.complete = True
        try:
            return self._read(doc)
        except _SHAPE_ERRORS:
            return AssistantTurn()

    def _read(self, doc: dict[str, Any]) -> AssistantTurn:
        raise NotImplementedError


class SseStreamParser:
    """Decodes SSE and hands each event's JSON object to ``_on_event``.

    ``complete`` turns true at the stream's terminal event (``[DONE]``, or an event whose type is
    in the codec's ``TERMINAL_EVENTS``): a stream that ended without it was cut short.
    """

    __slots__ = ("_decoder", "complete", "error")
    TERMINAL_EVENTS: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self._decoder = SSEDecoder()
        self.error: str | None = None
        self.complete = False

    def feed(self, data: bytes) -> None:
        for event in self._decoder.feed(data):
            self._dispatch(event.event, event.data)

    def finish(self) -> AssistantTurn:
        for event in self._decoder.finish():
            self._dispatch(event.event, event.data)
        try:
            return self._build()
        except _SHAPE_ERRORS:
            return AssistantTurn()

    def _dispatch(self, name: str | None, data: str) -> None:
        if data == "[DONE]":
            self.complete = True
            return
        if not data:
            return
        obj = parse_json(data)
        if not isinstance(obj, dict):
            return
        kind = obj.get("type")
        if (kind if isinstance(kind, str) else name) in self.TERMINAL_EVENTS:
            self.complete = True
        # An event of an unexpected shape is skipped; the rest of the stream still counts.
        with contextlib.suppress(*_SHAPE_ERRORS):
            self._on_event(name, obj)

    def _on_event(self, name: str | None, obj: dict[str, Any]) -> None:
        raise NotImplementedError

    def _build(self) -> AssistantTurn:
        raise NotImplementedError
