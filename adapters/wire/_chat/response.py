"""Chat Completions responses (JSON body or chunk stream) -> IR turn."""

from __future__ import annotations

from typing import Any

from adapters.ir import AssistantTurn, FinishReason, ToolCall, ToolKind, Usage
from adapters.wire._chat.request import arguments_text, tool_calls_of
from adapters.wire._jsonutil import as_int, as_str
from adapters.wire._parsers import JsonBodyParser, SseStreamParser, error_text

_FINISH_IN: dict[str, FinishReason] = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
}


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    prompt = raw.get("prompt_tokens_details")
    completion = raw.get("completion_tokens_details")
    prompt = prompt if isinstance(prompt, dict) else {}
    completion = completion if isinstance(completion, dict) else {}
    return Usage(
        input_tokens=as_int(raw.get("prompt_tokens")),
        output_tokens=as_int(raw.get("completion_tokens")),
        cache_read_tokens=as_int(prompt.get("cached_tokens")),
        cache_creation_tokens=as_int(prompt.get("cache_write_tokens")),
        reasoning_tokens=as_int(completion.get("reasoning_tokens")),
    )


def _finish(value: Any) -> FinishReason | None:
    if not isinstance(value, str):
        return None
    return _FINISH_IN.get(value, "other")


def _first_choice(choices: Any) -> dict[str, Any] | None:
    """Choice 0: the shim reads one completion (``n`` > 1 is not an agent pattern)."""
    if isinstance(choices, list):
        for choice in choices:
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                return choice
    return None


class JsonParser(JsonBodyParser):
    __slots__ = ()

    def _read(self, doc: dict[str, Any]) -> AssistantTurn:
        if "error" in doc and doc["error"] is not None:
            self.error = error_text(doc["error"])
        choice = _first_choice(doc.get("choices"))
        text = ""
        calls: tuple[ToolCall, ...] = ()
        finish = None
        if choice is not None:
            msg = choice.get("message")
            if isinstance(msg, dict):
                content = msg.get("content")
                text = content if isinstance(content, str) else ""
                found = tool_calls_of(msg.get("tool_calls"), ())
                legacy = msg.get("function_call")
                # Some servers (llama.cpp) mirror the first tool call in the legacy field too.
                if (
                    not found
                    and isinstance(legacy, dict)
                    and isinstance(name := legacy.get("name"), str)
                ):
                    found.append(ToolCall(name, name, arguments_text(legacy.get("arguments"))))
                calls = tuple(found)
            finish = _finish(choice.get("finish_reason"))
        return AssistantTurn(
            text,
            calls,
            finish,
            _usage(doc.get("usage")),
            as_str(doc.get("id")),
            as_str(doc.get("model")),
        )


class StreamParser(SseStreamParser):
    __slots__ = ("_calls", "_finish", "_id", "_model", "_text", "_usage")

    def __init__(self) -> None:
        super().__init__()
        self._id: str | None = None
        self._model: str | None = None
        self._text: list[str] = []
        # index -> [id, name, argument pieces, kind]
        self._calls: dict[int, list[Any]] = {}
        self._finish: FinishReason | None = None
        self._usage: Usage | None = None

    def _on_event(self, name: str | None, obj: dict[str, Any]) -> None:
        if obj.get("error") is not None:
            self.error = error_text(obj["error"])
            return
        # Azure's first chunk (prompt filter results) carries an empty id and model.
        if not self._id:
            self._id = as_str(obj.get("id"))
        if not self._model:
            self._model = as_str(obj.get("model"))
        if (usage := obj.get("usage")) is not None:
            self._usage = _usage(usage)
        choice = _first_choice(obj.get("choices"))
        if choice is None:
            return
        delta = choice.get("delta")
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str):
                self._text.append(content)
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                for call in calls:
                    if isinstance(call, dict):
                        self._call_delta(call)
            legacy = delta.get("function_call")
            if isinstance(legacy, dict) and not (isinstance(calls, list) and calls):
                self._call_delta({"index": -1, "function": legacy, "legacy": True})
        finish = _finish(choice.get("finish_reason"))
        if finish is not None:
            self._finish = finish

    def _call_delta(self, call: dict[str, Any]) -> None:
        index = call.get("index", 0)
        if not isinstance(index, int):
            return
        slot = self._calls.get(index)
        if slot is None:
            slot = self._calls[index] = ["", "", [], "function"]
        if isinstance(call_id := call.get("id"), str) and call_id:
            slot[0] = call_id
        if call.get("type") == "custom" or "custom" in call:
            slot[3] = "custom"
            fn = call.get("custom")
            field = "input"
        else:
            fn = call.get("function")
            field = "arguments"
        if isinstance(fn, dict):
            if isinstance(name := fn.get("name"), str) and name:
                slot[1] = name
                if call.get("legacy"):
                    slot[0] = name
            if isinstance(piece := fn.get(field), str):
                slot[2].append(piece)

    def _build(self) -> AssistantTurn:
        kinds: dict[str, ToolKind] = {"function": "function", "custom": "custom"}
        calls = tuple(
            ToolCall(s[0], s[1], "".join(s[2]), kinds[s[3]]) for _, s in sorted(self._calls.items())
        )
        return AssistantTurn(
            "".join(self._text), calls, self._finish, self._usage, self._id, self._model
        )
