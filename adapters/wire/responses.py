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

from collections.abc import Mapping
from typing import Any

from adapters.ir import AssistantTurn, Request, WireFormat
from adapters.wire._errors import openai_error
from adapters.wire._responses.render import render_json, render_sse
from adapters.wire._responses.request import parse_request
from adapters.wire._responses.response import JsonParser, StreamParser
from adapters.wire.base import ResponseParser

__all__ = ["CODEC", "ResponsesCodec"]


class ResponsesCodec:
    """The Responses codec; stateless, one shared instance (:data:`CODEC`).

    ``render_json`` / ``render_sse`` raise ValueError for a turn this format cannot carry (see
    the module docstring) before producing any output, so a replay can fall through cleanly.
    """

    format = WireFormat.RESPONSES

    def parse_request(self, body: Mapping[str, Any]) -> Request:
        return parse_request(body)

    def response_parser(self, *, stream: bool) -> ResponseParser:
        return StreamParser() if stream else JsonParser()

    def render_json(self, turn: AssistantTurn) -> bytes:
        return render_json(turn)

    def render_sse(self, turn: AssistantTurn) -> list[bytes]:
        return render_sse(turn)

    def render_error(self, status: int, message: str, *, kind: str | None = None) -> bytes:
        return openai_error(status, message, kind)


CODEC = ResponsesCodec()
