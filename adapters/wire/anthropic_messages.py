"""Anthropic Messages (``POST /v1/messages``): requests, responses, streams, errors.

Representable in a rendered turn: text and function tool calls whose arguments are a JSON object
(``tool_use.input``; parsing gives its canonical JSON text, so only canonical text round-trips, and
empty arguments render as ``{}``); no custom or hosted-item calls. Finish reasons stop / tool_calls
/ length / refusal (``content_filter`` renders as ``refusal``, ``other`` as ``end_turn``). The
message always carries usage: input and output counts are required (``None`` renders as 0); cache
read, cache creation and reasoning (``output_tokens_details.thinking_tokens``) are optional.
"""

from __future__ import annotations

from adapters.ir import WireFormat
from adapters.wire._anthropic.render import render_json, render_sse
from adapters.wire._anthropic.request import parse_request
from adapters.wire._anthropic.response import JsonParser, StreamParser
from adapters.wire._errors import anthropic_error
from adapters.wire.base import Codec

__all__ = ["CODEC"]

CODEC = Codec(
    format=WireFormat.ANTHROPIC_MESSAGES,
    parse=parse_request,
    json_parser=JsonParser,
    stream_parser=StreamParser,
    render_json_fn=render_json,
    render_sse_fn=render_sse,
    error_fn=anthropic_error,
)
