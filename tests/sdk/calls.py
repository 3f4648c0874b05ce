"""Every way a harness calls the SDKs, as data: (sdk, format, style) -> a function that runs it.

Each runner returns a comparable summary: the Python type the caller got plus its content, with
streams drained into their events, raw responses parsed, helpers finished.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

Result = tuple[str, Any]


def http_module(sdk: str) -> Any:
    """The HTTP module (httpx or httpx2) the installed SDK is built on."""
    base = importlib.import_module(f"{sdk}._base_client")
    return getattr(base, "httpx2", None) or base.httpx


def _dump(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return obj


def _type(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


@dataclass(frozen=True)
class Style:
    sdk: str
    endpoint: str  # chat | responses | messages
    name: str
    stream: bool
    run: Callable[[Any, dict[str, Any]], Result]
    is_async: bool = False

    @property
    def id(self) -> str:
        return f"{self.sdk}-{self.endpoint}-{self.name}"


def _sync(
    fn: Callable[[Any, dict[str, Any]], Coroutine[Any, Any, Result]],
) -> Callable[[Any, dict[str, Any]], Result]:
    def run(client: Any, kwargs: dict[str, Any]) -> Result:
        async def once() -> Result:
            try:
                return await fn(client, kwargs)
            finally:
                await client.close()  # on this loop, not at garbage collection after it closed

        return asyncio.run(once())

    return run


# -- OpenAI Chat Completions --------------------------------------------------------------------


def _chat_create(c: Any, kw: dict[str, Any]) -> Result:
    r = c.chat.completions.create(**kw)
    return _type(r), _dump(r)


def _chat_stream(c: Any, kw: dict[str, Any]) -> Result:
    s = c.chat.completions.create(stream=True, **kw)
    return _type(s), [_dump(e) for e in s]


def _chat_raw(c: Any, kw: dict[str, Any]) -> Result:
    raw = c.chat.completions.with_raw_response.create(**kw)
    return _type(raw), (raw.status_code, _dump(raw.parse()))


def _chat_streaming_response(c: Any, kw: dict[str, Any]) -> Result:
    with c.chat.completions.with_streaming_response.create(**kw) as resp:
        return _type(resp), _dump(resp.parse())


def _chat_helper(c: Any, kw: dict[str, Any]) -> Result:
    with c.chat.completions.stream(**kw) as s:
        final = s.get_final_completion()
    return _type(final), _dump(final)


async def _achat_create(c: Any, kw: dict[str, Any]) -> Result:
    r = await c.chat.completions.create(**kw)
    return _type(r), _dump(r)


async def _achat_stream(c: Any, kw: dict[str, Any]) -> Result:
    s = await c.chat.completions.create(stream=True, **kw)
    return _type(s), [_dump(e) async for e in s]


async def _achat_raw(c: Any, kw: dict[str, Any]) -> Result:
    raw = await c.chat.completions.with_raw_response.create(**kw)
    return _type(raw), (raw.status_code, _dump(raw.parse()))


async def _achat_helper(c: Any, kw: dict[str, Any]) -> Result:
    async with c.chat.completions.stream(**kw) as s:
        final = await s.get_final_completion()
    return _type(final), _dump(final)


# -- OpenAI Responses ---------------------------------------------------------------------------


def _resp_create(c: Any, kw: dict[str, Any]) -> Result:
    r = c.responses.create(**kw)
    return _type(r), _dump(r)


def _resp_stream(c: Any, kw: dict[str, Any]) -> Result:
    s = c.responses.create(stream=True, **kw)
    return _type(s), [_dump(e) for e in s]


def _resp_raw(c: Any, kw: dict[str, Any]) -> Result:
    raw = c.responses.with_raw_response.create(**kw)
    return _type(raw), (raw.status_code, _dump(raw.parse()))


def _resp_helper(c: Any, kw: dict[str, Any]) -> Result:
    with c.responses.stream(**kw) as s:
        final = s.get_final_response()
    return _type(final), _dump(final)


async def _aresp_create(c: Any, kw: dict[str, Any]) -> Result:
    r = await c.responses.create(**kw)
    return _type(r), _dump(r)


async def _aresp_stream(c: Any, kw: dict[str, Any]) -> Result:
    s = await c.responses.create(stream=True, **kw)
    return _type(s), [_dump(e) async for e in s]


async def _aresp_helper(c: Any, kw: dict[str, Any]) -> Result:
    async with c.responses.stream(**kw) as s:
        final = await s.get_final_response()
    return _type(final), _dump(final)


# -- Anthropic Messages -------------------------------------------------------------------------


def _msg_create(c: Any, kw: dict[str, Any]) -> Result:
    r = c.messages.create(**kw)
    return _type(r), _dump(r)


def _msg_stream(c: Any, kw: dict[str, Any]) -> Result:
    s = c.messages.create(stream=True, **kw)
    return _type(s), [_dump(e) for e in s]


def _msg_raw(c: Any, kw: dict[str, Any]) -> Result:
    raw = c.messages.with_raw_response.create(**kw)
    return _type(raw), (raw.status_code, _dump(raw.parse()))


def _msg_helper(c: Any, kw: dict[str, Any]) -> Result:
    with c.messages.stream(**kw) as s:
        final = s.get_final_message()
    return _type(final), _dump(final)


async def _amsg_create(c: Any, kw: dict[str, Any]) -> Result:
    r = await c.messages.create(**kw)
    return _type(r), _dump(r)


async def _amsg_stream(c: Any, kw: dict[str, Any]) -> Result:
    s = await c.messages.create(stream=True, **kw)
    return _type(s), [_dump(e) async for e in s]


async def _amsg_helper(c: Any, kw: dict[str, Any]) -> Result:
    async with c.messages.stream(**kw) as s:
        final = await s.get_final_message()
    return _type(final), _dump(final)


STYLES: tuple[Style, ...] = (
    Style("openai", "chat", "create", False, _chat_create),
    Style("openai", "chat", "stream", True, _chat_stream),
    Style("openai", "chat", "raw", False, _chat_raw),
    Style("openai", "chat", "streaming_response", False, _chat_streaming_response),
    Style("openai", "chat", "helper", True, _chat_helper),
    Style("openai", "chat", "async_create", False, _sync(_achat_create), True),
    Style("openai", "chat", "async_stream", True, _sync(_achat_stream), True),
    Style("openai", "chat", "async_raw", False, _sync(_achat_raw), True),
    Style("openai", "chat", "async_helper", True, _sync(_achat_helper), True),
    Style("openai", "responses", "create", False, _resp_create),
    Style("openai", "responses", "stream", True, _resp_stream),
    Style("openai", "responses", "raw", False, _resp_raw),
    Style("openai", "responses", "helper", True, _resp_helper),
    Style("openai", "responses", "async_create", False, _sync(_aresp_create), True),
    Style("openai", "responses", "async_stream", True, _sync(_aresp_stream), True),
    Style("openai", "responses", "async_helper", True, _sync(_aresp_helper), True),
    Style("anthropic", "messages", "create", False, _msg_create),
    Style("anthropic", "messages", "stream", True, _msg_stream),
    Style("anthropic", "messages", "raw", False, _msg_raw),
    Style("anthropic", "messages", "helper", True, _msg_helper),
    Style("anthropic", "messages", "async_create", False, _sync(_amsg_create), True),
    Style("anthropic", "messages", "async_stream", True, _sync(_amsg_stream), True),
    Style("anthropic", "messages", "async_helper", True, _sync(_amsg_helper), True),
)


def make_client(style: Style, *, base_url: str, api_key: str, http_client: Any = None) -> Any:
    sdk = importlib.import_module(style.sdk)
    if style.sdk == "openai":
        cls = sdk.AsyncOpenAI if style.is_async else sdk.OpenAI
    else:
        cls = sdk.AsyncAnthropic if style.is_async else sdk.Anthropic
        base_url = base_url.removesuffix("/v1")
    kwargs: dict[str, Any] = {"base_url": base_url, "api_key": api_key, "max_retries": 0}
    if http_client is not None:
        kwargs["http_client"] = http_client
    return cls(**kwargs)


def request_kwargs(style: Style, *, system: str, user: str, model: str) -> dict[str, Any]:
    """Request arguments that put ``system`` where this endpoint keeps instructions."""
    if style.endpoint == "chat":
        kw: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        }
        if style.stream:
            kw["stream_options"] = {"include_usage": True}
        return kw
    if style.endpoint == "responses":
        return {"model": model, "instructions": system, "input": user}
    return {
        "model": model,
        "max_tokens": 256,
        "system": [
            {"type": "text", "text": "You are a careful agent."},
            {"type": "text", "text": system, "cache_control": {"type": "ephemeral"}},
        ],
        "messages": [{"role": "user", "content": user}],
    }


def sdk_http_client(style: Style, handler: Callable[[Any], Any]) -> Any:
    mod = http_module(style.sdk)
    transport = mod.MockTransport(handler)
    return (
        mod.AsyncClient(transport=transport) if style.is_async else mod.Client(transport=transport)
    )


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


def answer_text(style: Style, result: Result) -> str:
    """The assistant text in a call's result, whatever shape the call style returned."""
    _, content = result
    if isinstance(content, tuple):  # raw: (status, parsed)
        content = content[1]
    if isinstance(content, list):  # a drained stream
        pieces: list[str] = []
        for event in content:
            if style.endpoint == "chat":
                for choice in event.get("choices", []):
                    pieces.append((choice.get("delta") or {}).get("content") or "")
            elif style.endpoint == "responses":
                if event.get("type") == "response.output_text.delta":
                    pieces.append(event["delta"])
            elif event.get("type") == "content_block_delta":
                pieces.append(event["delta"].get("text", ""))
        return "".join(pieces)
    if style.endpoint == "chat":
        return content["choices"][0]["message"]["content"] or ""
    if style.endpoint == "responses":
        return "".join(
            part.get("text", "")
            for item in content["output"]
            if item["type"] == "message"
            for part in item["content"]
        )
    return "".join(block.get("text", "") for block in content["content"])


def strings(obj: Any) -> str:
    """Every string inside a JSON document, newline-joined (to search request text unescaped)."""
    out: list[str] = []

    def walk(o: Any) -> None:
        if isinstance(o, str):
            out.append(o)
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(obj)
    return "\n".join(out)
