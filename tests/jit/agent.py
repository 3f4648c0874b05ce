"""A minimal agent harness for the JIT tests: the model loop of a real harness, in each API.

It offers one ``bash`` tool, runs every tool call it gets with ``bash -c`` in a work directory
(as a harness does: the shim never executes anything), sends the output back, and loops until
the model answers without tool calls. It works the same whether the answers come from the
model or from the shim's replay, which is the point: the harness cannot tell.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Endpoint = Literal["chat", "responses", "messages"]

BASH_SCHEMA = {
    "type": "object",
    "properties": {"command": {"type": "string", "description": "A shell command to run."}},
    "required": ["command"],
}


_SCHEMA: ContextVar[dict[str, Any]] = ContextVar("bash_schema", default=BASH_SCHEMA)


@dataclass
class Executed:
    call_id: str
    command: str
    output: str
    failed: bool


@dataclass
class SessionLog:
    executed: list[Executed] = field(default_factory=list)
    answer: str = ""
    turns: int = 0
    response_types: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    """Wall time of each LLM call as the harness saw it (request to parsed answer)."""
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Chat Completions only: the arguments of each call (for replaying them elsewhere)."""
    tokens: list[int | None] = field(default_factory=list)
    """Chat Completions, not streamed: prompt + completion tokens of each call's usage."""


def run_bash(command: str, cwd: Path) -> tuple[str, bool]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LC_ALL": "C.UTF-8"}
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        out += f"\nexit code: {proc.returncode}"
    return out, proc.returncode != 0


def run_session(
    client: Any,
    endpoint: Endpoint,
    *,
    stream: bool,
    system: str,
    task: str,
    model: str,
    cwd: Path,
    max_turns: int = 8,
    schema: dict[str, Any] | None = None,
) -> SessionLog:
    """One agent session; ``schema`` replaces the bash tool's parameter schema."""
    loop = {"chat": _chat, "responses": _responses, "messages": _messages}[endpoint]
    token = _SCHEMA.set(schema or BASH_SCHEMA)
    try:
        return loop(client, stream, system, task, model, cwd, max_turns)
    finally:
        _SCHEMA.reset(token)


def _type(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _execute(log: SessionLog, call_id: str, command: str, cwd: Path) -> tuple[str, bool]:
    output, failed = run_bash(command, cwd)
    log.executed.append(Executed(call_id, command, output, failed))
    return output, failed


# -- Chat Completions ---------------------------------------------------------------------------


def _chat(
    client: Any, stream: bool, system: str, task: str, model: str, cwd: Path, max_turns: int
) -> SessionLog:
    log = SessionLog()
    tools = [{"type": "function", "function": {"name": "bash", "parameters": _SCHEMA.get()}}]
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": task},
    ]
    for _ in range(max_turns):
        log.turns += 1
        log.sent.append(copy.deepcopy({"model": model, "messages": messages, "tools": tools}))
        started = time.perf_counter()
        if stream:
            text, calls = _chat_stream(client, log, model=model, messages=messages, tools=tools)
        else:
            response = client.chat.completions.create(model=model, messages=messages, tools=tools)
            log.response_types.append(_type(response))
            usage = response.usage
            log.tokens.append(usage.prompt_tokens + usage.completion_tokens if usage else None)
            message = response.choices[0].message
            text = message.content or ""
            calls = [
                (c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []
            ]
        log.seconds.append(time.perf_counter() - started)
        assistant: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            assistant["tool_calls"] = [
                {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                for i, n, a in calls
            ]
        messages.append(assistant)
        if not calls:
            log.answer = text
            return log
        for call_id, _name, arguments in calls:
            output, _ = _execute(log, call_id, json.loads(arguments)["command"], cwd)
            messages.append({"role": "tool", "tool_call_id": call_id, "content": output})
    raise AssertionError("the session did not end")


def _chat_stream(
    client: Any, log: SessionLog, **kwargs: Any
) -> tuple[str, list[tuple[str, str, str]]]:
    chunks = client.chat.completions.create(
        stream=True, stream_options={"include_usage": True}, **kwargs
    )
    text: list[str] = []
    calls: dict[int, list[str]] = {}
    for chunk in chunks:
        log.response_types.append(_type(chunk))
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                text.append(delta.content)
            for c in delta.tool_calls or []:
                slot = calls.setdefault(c.index, ["", "", ""])
                if c.id:
                    slot[0] = c.id
                if c.function and c.function.name:
                    slot[1] += c.function.name
                if c.function and c.function.arguments:
                    slot[2] += c.function.arguments
    return "".join(text), [(i, n, a) for i, n, a in (calls[k] for k in sorted(calls))]


# -- Responses ----------------------------------------------------------------------------------


def _responses(
    client: Any, stream: bool, system: str, task: str, model: str, cwd: Path, max_turns: int
) -> SessionLog:
    log = SessionLog()
    tools = [{"type": "function", "name": "bash", "parameters": _SCHEMA.get()}]
    items: list[dict[str, Any]] = [{"role": "user", "content": task}]
    for _ in range(max_turns):
        log.turns += 1
        kwargs = {"model": model, "instructions": system, "input": items, "tools": tools}
        if stream:
            response = None
            for event in client.responses.create(stream=True, **kwargs):
                log.response_types.append(_type(event))
                if event.type == "response.completed":
                    response = event.response
            assert response is not None, "the stream had no response.completed event"
        else:
            response = client.responses.create(**kwargs)
            log.response_types.append(_type(response))
        calls = []
        text = []
        for item in response.output:
            if item.type == "function_call":
                calls.append((item.call_id, item.name, item.arguments))
                items.append(
                    {
                        "type": "function_call",
                        "call_id": item.call_id,
                        "name": item.name,
                        "arguments": item.arguments,
                    }
                )
            elif item.type == "message":
                part_text = "".join(p.text for p in item.content if p.type == "output_text")
                text.append(part_text)
                items.append({"role": "assistant", "content": part_text})
        if not calls:
            log.answer = "".join(text)
            return log
        for call_id, _name, arguments in calls:
            output, _ = _execute(log, call_id, json.loads(arguments)["command"], cwd)
            items.append({"type": "function_call_output", "call_id": call_id, "output": output})
    raise AssertionError("the session did not end")


# -- Anthropic Messages -------------------------------------------------------------------------


def _messages(
    client: Any, stream: bool, system: str, task: str, model: str, cwd: Path, max_turns: int
) -> SessionLog:
    log = SessionLog()
    tools = [{"name": "bash", "input_schema": _SCHEMA.get()}]
    messages: list[dict[str, Any]] = [{"role": "user", "content": task}]
    for _ in range(max_turns):
        log.turns += 1
        kwargs = {
            "model": model,
            "max_tokens": 512,
            "system": system,
            "messages": messages,
            "tools": tools,
        }
        if stream:
            with client.messages.stream(**kwargs) as events:
                for event in events:
                    log.response_types.append(_type(event))
                message = events.get_final_message()
        else:
            message = client.messages.create(**kwargs)
            log.response_types.append(_type(message))
        blocks = [b.model_dump(exclude_none=True) for b in message.content]
        messages.append({"role": "assistant", "content": blocks})
        calls = [b for b in message.content if b.type == "tool_use"]
        if not calls:
            log.answer = "".join(b.text for b in message.content if b.type == "text")
            return log
        results = []
        for call in calls:
            output, failed = _execute(log, call.id, call.input["command"], cwd)
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": call.id,
                    "content": output,
                    "is_error": failed,
                }
            )
        messages.append({"role": "user", "content": results})
    raise AssertionError("the session did not end")
