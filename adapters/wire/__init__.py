"""Wire formats: parse request bodies and responses into the IR, render IR turns back.

One codec per API family; provider specifics are data and small functions inside each codec, the
rest of the shim only ever sees :class:`WireCodec`.
"""

from __future__ import annotations

from adapters.ir import WireFormat
from adapters.wire import anthropic_messages, chat_completions, responses
from adapters.wire.base import ResponseParser, WireCodec

__all__ = ["ResponseParser", "WireCodec", "codec_for", "format_for_path"]

_CODECS: dict[WireFormat, WireCodec] = {
    WireFormat.CHAT_COMPLETIONS: chat_completions.CODEC,
    WireFormat.RESPONSES: responses.CODEC,
    WireFormat.ANTHROPIC_MESSAGES: anthropic_messages.CODEC,
}


def codec_for(fmt: WireFormat) -> WireCodec:
    """The codec of a wire format."""
    return _CODECS[fmt]


def format_for_path(path: str) -> WireFormat | None:
    """The wire format of an endpoint path, or None when the path is not an LLM call.

    Matches on the path's tail so that ``/v1/messages``, ``/h/pi/v1/chat/completions`` and an SDK
    ``base_url`` with its own prefix all resolve; query strings are ignored. ``count_tokens`` and
    ``/responses/{id}`` are not calls.
    """
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return WireFormat.CHAT_COMPLETIONS
    if path.endswith("/responses"):
        return WireFormat.RESPONSES
    if path.endswith("/messages"):
        return WireFormat.ANTHROPIC_MESSAGES
    return None
