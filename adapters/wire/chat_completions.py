"""OpenAI Chat Completions (``POST /v1/chat/completions``): requests, responses, streams, errors.

Representable in a rendered turn: text and function tool calls (custom tool calls too in a JSON
body; the chunk schema has no custom tool calls, so a stream refuses them); finish reasons
stop / tool_calls / length / content_filter (``refusal`` and ``other`` render as ``stop``); usage
with input and output counts plus optional cached, cache-write and reasoning counts. The message
has one content string and its tool calls, so text always comes before the calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.ir import AssistantTurn, Request, WireFormat
from adapters.wire._chat.render import render_json, render_sse
from adapters.wire._chat.request import parse_request
from adapters.wire._chat.response import JsonParser, StreamParser
from adapters.wire._errors import openai_error
from adapters.wire.base import ResponseParser

__all__ = ["CODEC", "ChatCompletionsCodec"]


class ChatCompletionsCodec:
    """The Chat Completions codec; stateless, one shared instance (:data:`CODEC`).

    ``render_json`` / ``render_sse`` raise ValueError for a turn this format cannot carry (see
    the module docstring) before producing any output, so a replay can fall through cleanly.
    """

    format = WireFormat.CHAT_COMPLETIONS

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


CODEC = ChatCompletionsCodec()
