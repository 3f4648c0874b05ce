"""Responses responses (JSON body or event stream) -> IR turn."""

from __future__ import annotations

from typing import Any

from adapters.ir import AssistantTurn, FinishReason, ToolCall, Usage
from adapters.wire._jsonutil import as_int, as_str
from adapters.wire._parsers import JsonBodyParser, SseStreamParser, error_text
from adapters.wire._responses.items import OBJECT_CALLS, object_text

_TEXT_DELTAS = {"response.output_text.delta": "output_text", "response.refusal.delta": "refusal"}
_TEXT_DONE = {"response.output_text.done": "output_text", "response.refusal.done": "refusal"}
_ARGUMENT_DELTAS = frozenset(
    {"response.function_call_arguments.delta", "response.custom_tool_call_input.delta"}
)
_ARGUMENT_DONE = {
    "response.function_call_arguments.done": "arguments",
    "response.custom_tool_call_input.done": "input",
}
_LIFECYCLE_EVENTS = frozenset({"response.created", "response.in_progress", "response.queued"})
_FINAL_EVENTS = frozenset(
    {"response.completed", "response.incomplete", "response.failed", "response.cancelled"}
)


class _Item:
    """An output item being assembled: message parts, or a call's argument pieces."""

    __slots__ = ("call_id", "name", "obj", "parts", "pieces", "type")

    def __init__(self, kind: str) -> None:
        self.type = kind
        self.call_id = ""
        self.name = ""
        self.pieces: list[str] = []  # function arguments / custom input
        self.parts: dict[int, list[Any]] = {}  # content index -> [part type, text pieces]
        self.obj: Any = None  # action / operation of object calls

    @classmethod
    def of(cls, item: dict[str, Any]) -> _Item | None:
        kind = item.get("type")
        if not isinstance(kind, str):
            return None
        out = cls(kind)
        if kind == "message":
            content = item.get("content")
            if isinstance(content, list):
                for j, part in enumerate(content):
                    if isinstance(part, dict):
                        out.parts[j] = _part(part)
            return out
        out.call_id = as_str(item.get("call_id")) or ""
        out.name = as_str(item.get("name")) or ""
        if kind == "function_call":
            out.pieces = [as_str(item.get("arguments")) or ""]
        elif kind == "custom_tool_call":
            out.pieces = [as_str(item.get("input")) or ""]
        elif kind in OBJECT_CALLS:
            out.obj = item.get(OBJECT_CALLS[kind][1])
        return out

    def call(self) -> ToolCall | None:
        if self.type == "function_call":
            return ToolCall(self.call_id, self.name, "".join(self.pieces), "function")
        if self.type == "custom_tool_call":
            return ToolCall(self.call_id, self.name, "".join(self.pieces), "custom")
        spec = OBJECT_CALLS.get(self.type)
        if spec is None:
            return None
        return ToolCall(self.call_id, spec[0], object_text(self.obj), spec[0])


def _part(part: dict[str, Any]) -> list[Any]:
    kind = part.get("type")
    text = part.get("refusal" if kind == "refusal" else "text")
    return [kind, [text] if isinstance(text, str) else []]


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    inp = raw.get("input_tokens_details")
    out = raw.get("output_tokens_details")
    inp = inp if isinstance(inp, dict) else {}
    out = out if isinstance(out, dict) else {}
    return Usage(
        input_tokens=as_int(raw.get("input_tokens")),
        output_tokens=as_int(raw.get("output_tokens")),
        cache_read_tokens=as_int(inp.get("cached_tokens")),
        cache_creation_tokens=as_int(inp.get("cache_write_tokens")),
        reasoning_tokens=as_int(out.get("reasoning_tokens")),
    )


class _State:
    """What a response body or stream has said so far; the JSON body is one final snapshot."""

    __slots__ = ("error", "id", "ids", "incomplete", "items", "model", "status", "usage")

    def __init__(self) -> None:
        self.id: str | None = None
        self.model: str | None = None
        self.status: str | None = None
        self.incomplete: str | None = None
        self.usage: Usage | None = None
        self.error: str | None = None
        self.items: dict[int, _Item] = {}
        self.ids: dict[str, int] = {}  # item id -> output index

    def response(self, resp: dict[str, Any], *, final: bool) -> None:
        self.id = as_str(resp.get("id")) or self.id
        self.model = as_str(resp.get("model")) or self.model
        if not final:
            return
        self.status = as_str(resp.get("status")) or self.status
        details = resp.get("incomplete_details")
        if isinstance(details, dict):
            self.incomplete = as_str(details.get("reason"))
        if (usage := _usage(resp.get("usage"))) is not None:
            self.usage = usage
        if isinstance(error := resp.get("error"), dict):
            self.error = error_text({"type": error.get("code"), "message": error.get("message")})
        output = resp.get("output")
        if isinstance(output, list) and output:
            # The final snapshot is authoritative over what the deltas assembled.
            self.items = {}
            for i, raw in enumerate(output):
                if isinstance(raw, dict) and (item := _Item.of(raw)) is not None:
                    self.items[i] = item

    def item(self, obj: dict[str, Any]) -> _Item | None:
        index = obj.get("output_index")
        if not isinstance(index, int):
            index = self.ids.get(obj.get("item_id"))  # type: ignore[arg-type]
        return self.items.get(index) if index is not None else None

    def turn(self) -> AssistantTurn:
        texts: list[str] = []
        calls: list[ToolCall] = []
        refused = False
        for _, item in sorted(self.items.items()):
            if item.type == "message":
                for _, (kind, pieces) in sorted(item.parts.items()):
                    if kind == "output_text":
                        texts.extend(pieces)
                    elif kind == "refusal":
                        refused = True
            elif (call := item.call()) is not None:
                calls.append(call)
        finish: FinishReason | None = None
        if self.status == "completed":
            finish = "tool_calls" if calls else "refusal" if refused else "stop"
        elif self.status == "incomplete":
            reason = self.incomplete
            finish = (
                "length"
                if reason == "max_output_tokens"
                else "content_filter"
                if reason == "content_filter"
                else "other"
            )
        elif self.status in ("failed", "cancelled"):
            finish = "other"
        return AssistantTurn("".join(texts), tuple(calls), finish, self.usage, self.id, self.model)


class JsonParser(JsonBodyParser):
    __slots__ = ()

    def _read(self, doc: dict[str, Any]) -> AssistantTurn:
        state = _State()
        if doc.get("object") == "response" or "output" in doc:
            state.response(doc, final=True)
            self.error = state.error
        elif doc.get("error") is not None:
            self.error = error_text(doc["error"])
        return state.turn()


class StreamParser(SseStreamParser):
    __slots__ = ("_state",)
    TERMINAL_EVENTS = _FINAL_EVENTS

    def __init__(self) -> None:
        super().__init__()
        self._state = _State()

    def _on_event(self, name: str | None, obj: dict[str, Any]) -> None:
        state = self._state
        kind = obj.get("type", name)
        if not isinstance(kind, str):
            return
        if kind in _TEXT_DELTAS:
            item = state.item(obj)
            if item is not None and isinstance(delta := obj.get("delta"), str):
                part = item.parts.get(obj["content_index"])
                if part is None:
                    part = item.parts[obj["content_index"]] = [_TEXT_DELTAS[kind], []]
                part[1].append(delta)
        elif kind in _ARGUMENT_DELTAS:
            item = state.item(obj)
            if item is not None and isinstance(delta := obj.get("delta"), str):
                item.pieces.append(delta)
        elif kind in {"response.output_item.added", "response.output_item.done"}:
            raw = obj.get("item")
            index = obj.get("output_index")
            if isinstance(raw, dict) and isinstance(index, int):
                item = _Item.of(raw)
                if item is not None:
                    state.items[index] = item
                    if isinstance(item_id := raw.get("id"), str):
                        state.ids[item_id] = index
        elif kind in {"response.content_part.added", "response.content_part.done"}:
            item = state.item(obj)
            part = obj.get("part")
            if item is not None and isinstance(part, dict):
                item.parts[obj["content_index"]] = _part(part)
        elif kind in _TEXT_DONE:
            item = state.item(obj)
            part_type = _TEXT_DONE[kind]
            field = "text" if part_type == "output_text" else "refusal"
            if item is not None and isinstance(text := obj.get(field), str):
                item.parts[obj["content_index"]] = [part_type, [text]]
        elif kind in _ARGUMENT_DONE:
            item = state.item(obj)
            if item is not None and isinstance(text := obj.get(_ARGUMENT_DONE[kind]), str):
                item.pieces = [text]
        elif kind in _FINAL_EVENTS or kind in _LIFECYCLE_EVENTS:
            if isinstance(resp := obj.get("response"), dict):
                state.response(resp, final=kind in _FINAL_EVENTS)
                if state.error is not None:
                    self.error = state.error
        elif kind == "error":
            self.error = error_text({"type": obj.get("code"), "message": obj.get("message")})

    def _build(self) -> AssistantTurn:
        return self._state.turn()
