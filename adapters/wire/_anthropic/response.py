"""Anthropic Messages responses (JSON body or event stream) -> IR turn."""

from __future__ import annotations

from typing import Any

from adapters.ir import AssistantTurn, FinishReason, ToolCall, Usage
from adapters.wire._anthropic.request import input_text
from adapters.wire._jsonutil import as_int, as_str, parse_json
from adapters.wire._parsers import JsonBodyParser, SseStreamParser, error_text

_STOP_IN: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "refusal": "refusal",
}


def _usage(raw: Any, into: Usage | None = None) -> Usage | None:
    """Usage of a message, or a ``message_delta`` usage merged over the ``message_start`` one."""
    if not isinstance(raw, dict):
        return into
    details = raw.get("output_tokens_details")
    thinking = as_int(details.get("thinking_tokens")) if isinstance(details, dict) else None
    fresh = Usage(
        input_tokens=as_int(raw.get("input_tokens")),
        output_tokens=as_int(raw.get("output_tokens")),
        cache_read_tokens=as_int(raw.get("cache_read_input_tokens")),
        cache_creation_tokens=as_int(raw.get("cache_creation_input_tokens")),
        reasoning_tokens=thinking,
    )
    if into is None:
        return fresh
    return Usage(
        fresh.input_tokens if fresh.input_tokens is not None else into.input_tokens,
        fresh.output_tokens if fresh.output_tokens is not None else into.output_tokens,
        fresh.cache_read_tokens if fresh.cache_read_tokens is not None else into.cache_read_tokens,
        fresh.cache_creation_tokens
        if fresh.cache_creation_tokens is not None
        else into.cache_creation_tokens,
        fresh.reasoning_tokens if fresh.reasoning_tokens is not None else into.reasoning_tokens,
    )


def _stop(value: Any) -> FinishReason | None:
    if not isinstance(value, str):
        return None
    return _STOP_IN.get(value, "other")


def _arguments_from_stream(pieces: list[str], start_input: Any) -> str:
    """Canonical text of the streamed input JSON; the raw text when it never completed."""
    if not pieces:
        return input_text(start_input if isinstance(start_input, dict) and start_input else None)
    raw = "".join(pieces)
    value = parse_json(raw)
    return input_text(value) if isinstance(value, dict) else raw


class JsonParser(JsonBodyParser):
    __slots__ = ()

    def _read(self, doc: dict[str, Any]) -> AssistantTurn:
        if doc.get("type") == "error" or isinstance(doc.get("error"), dict):
            self.error = error_text(doc.get("error"))
        texts: list[str] = []
        calls: list[ToolCall] = []
        content = doc.get("content")
        if isinstance(content, list):
            for block in content:
                if not isinstance(block, dict):
                    continue
                kind = block.get("type")
                if kind == "text" and isinstance(text := block.get("text"), str):
                    texts.append(text)
                elif kind == "tool_use":
                    calls.append(
                        ToolCall(
                            as_str(block.get("id")) or "",
                            as_str(block.get("name")) or "",
                            input_text(block.get("input")),
                        )
                    )
        return AssistantTurn(
            "".join(texts),
            tuple(calls),
            _stop(doc.get("stop_reason")),
            _usage(doc.get("usage")),
            as_str(doc.get("id")),
            as_str(doc.get("model")),
        )


class StreamParser(SseStreamParser):
    __slots__ = ("_blocks", "_id", "_model", "_stop", "_usage")
    TERMINAL_EVENTS = frozenset({"message_stop"})

    def __init__(self) -> None:
        super().__init__()
        self._id: str | None = None
        self._model: str | None = None
        # index -> [type, text pieces | None, id, name, input json pieces, start input]
        self._blocks: dict[int, list[Any]] = {}
        self._stop: FinishReason | None = None
        self._usage: Usage | None = None

    def _on_event(self, name: str | None, obj: dict[str, Any]) -> None:
        kind = obj.get("type", name)
        if kind == "content_block_delta":
            block = self._blocks.get(obj["index"])
            delta = obj.get("delta")
            if block is None or not isinstance(delta, dict):
                return
            dtype = delta.get("type")
            if dtype == "text_delta":
                if block[0] == "text" and isinstance(text := delta.get("text"), str):
                    block[1].append(text)
            elif (
                dtype == "input_json_delta"
                and block[0] == "tool_use"
                and isinstance(piece := delta.get("partial_json"), str)
            ):
                block[4].append(piece)
        elif kind == "content_block_start":
            index = obj["index"]
            start = obj.get("content_block")
            if isinstance(index, int) and isinstance(start, dict):
                btype = start.get("type")
                if btype == "text":
                    text = start.get("text")
                    self._blocks[index] = ["text", [text] if isinstance(text, str) else []]
                elif btype == "tool_use":
                    self._blocks[index] = [
                        "tool_use",
                        None,
                        as_str(start.get("id")) or "",
                        as_str(start.get("name")) or "",
                        [],
                        start.get("input"),
                    ]
        elif kind == "message_start":
            message = obj.get("message")
            if isinstance(message, dict):
                self._id = as_str(message.get("id"))
                self._model = as_str(message.get("model"))
                self._usage = _usage(message.get("usage"), self._usage)
                if (stop := _stop(message.get("stop_reason"))) is not None:
                    self._stop = stop
        elif kind == "message_delta":
            delta = obj.get("delta")
            if isinstance(delta, dict) and (stop := _stop(delta.get("stop_reason"))) is not None:
                self._stop = stop
            self._usage = _usage(obj.get("usage"), self._usage)
        elif kind == "error":
            self.error = error_text(obj.get("error"))

    def _build(self) -> AssistantTurn:
        texts: list[str] = []
        calls: list[ToolCall] = []
        for _, block in sorted(self._blocks.items()):
            if block[0] == "text":
                texts.extend(block[1])
            else:
                calls.append(
                    ToolCall(block[2], block[3], _arguments_from_stream(block[4], block[5]))
                )
        return AssistantTurn(
            "".join(texts), tuple(calls), self._stop, self._usage, self._id, self._model
        )
