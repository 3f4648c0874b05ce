"""OpenAI Responses (``POST /v1/responses``): requests, responses, streams, errors.

Representable in a rendered turn: text (one ``output_text`` part of one message item), function
and custom tool calls, and the harness-executed call items ``shell_call``, ``local_shell_call`` and
``apply_patch_call`` (their arguments must be the JSON object of the action / operation). Responses
have no finish reason, only a status, so stop and tool_calls are implied by whether the output has
tool calls; length and content_filter are ``incomplete`` responses; ``refusal`` and ``other``
render as a completed response (and read back as stop / tool_calls). Usage, when present, always
carries every count (the SDK types require them), so ``None`` counts render as 0.
"""

from __future__ import annotations

from adapters.ir import WireFormat
from adapters.wire._errors import openai_error
from adapters.wire._responses.render import render_json, render_sse
from adapters.wire._responses.request import parse_request
from adapters.wire._responses.response import JsonParser, StreamParser
from adapters.wire.base import Codec

__all__ = ["CODEC"]

CODEC = Codec(
    format=WireFormat.RESPONSES,
    parse=parse_request,
    json_parser=JsonParser,
    stream_parser=StreamParser,
    render_json_fn=render_json,
    render_sse_fn=render_sse,
    error_fn=openai_error,
)
