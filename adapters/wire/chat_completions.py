"""OpenAI Chat Completions (``POST /v1/chat/completions``): requests, responses, streams, errors.

Representable in a rendered turn: text and function tool calls (custom tool calls too in a JSON
body; the chunk schema has no custom tool calls, so a stream refuses them); finish reasons
stop / tool_calls / length / content_filter (``refusal`` and ``other`` render as ``stop``); usage
with input and output counts plus optional cached, cache-write and reasoning counts. The message
has one content string and its tool calls, so text always comes before the calls.
"""

from __future__ import annotations

from adapters.ir import WireFormat
from adapters.wire._chat.render import render_json, render_sse
from adapters.wire._chat.request import parse_request
from adapters.wire._chat.response import JsonParser, StreamParser
from adapters.wire._errors import openai_error
from adapters.wire.base import Codec

__all__ = ["CODEC"]

CODEC = Codec(
    format=WireFormat.CHAT_COMPLETIONS,
    parse=parse_request,
    json_parser=JsonParser,
    stream_parser=StreamParser,
    render_json_fn=render_json,
    render_sse_fn=render_sse,
    error_fn=openai_error,
)
