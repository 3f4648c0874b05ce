"""Anthropic Messages (``POST /v1/messages``): requests, responses, streams, errors.

Representable in a rendered turn: text and function tool calls whose arguments are a JSON object
(``tool_use.input``; parsing gives its canonical JSON text, so only canonical text round-trips, and
empty arguments render as ``{}``); no custom or hosted-item calls. Finish reasons stop / tool_calls
/ length / refusal (``content_filter`` renders as ``refusal``, ``other`` as ``end_turn``). The
message always carries usage: input and output counts are required (``None`` renders as 0); cache
read, cache creation and reasoning (``output_tokens_details.thinking_tokens``) are optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.ir import AssistantTurn, Request, WireFormat
from adapters.wire._anthropic.render import render_json, render_sse
from adapters.wire._anthropic.request import parse_request
from adapters.wire._anthropic.response import JsonParser, StreamParser
from adapters.wire._errors import anthropic_error
from adapters.wire.base import ResponseParser

__all__ = ["CODEC", "AnthropicMessagesCodec"]


class AnthropicMessagesCodec:
    """The Anthropic Messages codec; stateless, one shared instance (:data:`CODEC`).

    ``render_json`` / ``render_sse`` raise ValueError for a turn this format cannot carry (see
    the module docstring) before producing any output, so a replay can fall through cleanly.
    """

    format = WireFormat.ANTHROPIC_MESSAGES

    def parse_request(self, body: Mapping[str, Any]) -> Request:
        return parse_request(body)

    def response_parser(self, *, stream: bool) -> ResponseParser:
        return StreamParser() if stream else JsonParser()

    def render_json(self, turn: AssistantTurn) -> bytes:
        return render_json(turn)

    def render_sse(self, turn: AssistantTurn) -> list[bytes]:
        return render_sse(turn)

    def render_error(self, status: int, message: str, *, kind: str | None = None) -> bytes:
        return anthropic_error(status, message, kind)


CODEC = AnthropicMessagesCodec()
