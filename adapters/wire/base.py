"""The interface every wire-format codec implements."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Codec:
    """A wire format as data: its parser, renderers and error shape (one shared instance each).

    ``render_json`` / ``render_sse`` raise ValueError for a turn the format cannot carry (see each
    codec module's docstring) before producing any output, so a replay can fall through cleanly.
    """

    format: WireFormat
    parse: Callable[[Mapping[str, Any]], Request]
    json_parser: Callable[[], ResponseParser]
    stream_parser: Callable[[], ResponseParser]
    render_json_fn: Callable[[AssistantTurn], bytes]
    render_sse_fn: Callable[[AssistantTurn], list[bytes]]
    error_fn: Callable[[int, str, str | None], bytes]

    def parse_request(self, body: Mapping[str, Any]) -> Request:
        return self.parse(body)

    def response_parser(self, *, stream: bool) -> ResponseParser:
        return self.stream_parser() if stream else self.json_parser()

    def render_json(self, turn: AssistantTurn) -> bytes:
        return self.render_json_fn(turn)

    def render_sse(self, turn: AssistantTurn) -> list[bytes]:
        return self.render_sse_fn(turn)

    def render_error(self, status: int, message: str, *, kind: str | None = None) -> bytes:
        return self.error_fn(status, message, kind)


WireCodec = Codec
"""What the rest of the shim programs against: a codec, whichever format it is."""
