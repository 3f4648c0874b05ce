"""The interface every wire-format codec implements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from adapters.ir import AssistantTurn, Request, WireFormat


class ResponseParser(Protocol):
    """Incremental parser of one response body (plain JSON or an SSE stream).

    ``feed`` accepts the body in chunks of any size, split anywhere (even inside a UTF-8 sequence
    or an SSE line); ``finish`` returns what was received so far, so a stream that was cut short
    still yields its partial turn.
    """

    error: str | None
    """An error the upstream reported in the body or stream (an error event, a failed response)."""
    complete: bool
    """True once the body was whole: the JSON document parsed, or the stream's terminal event."""

    def feed(self, data: bytes) -> None: ...

    def finish(self) -> AssistantTurn: ...


class WireCodec(Protocol):
    format: WireFormat

    def parse_request(self, body: Mapping[str, Any]) -> Request:
        """Parse a request body; unknown fields and part types are skipped, never fatal."""
        ...

    def response_parser(self, *, stream: bool) -> ResponseParser: ...

    def render_json(self, turn: AssistantTurn) -> bytes:
        """A complete non-streaming response body for ``turn``."""
        ...

    def render_sse(self, turn: AssistantTurn) -> list[bytes]:
        """The SSE stream for ``turn``, one element per event (each ending in a blank line)."""
        ...

    def render_error(self, status: int, message: str, *, kind: str | None = None) -> bytes:
        """An error body in the shape this API's clients expect for ``status``."""
        ...
