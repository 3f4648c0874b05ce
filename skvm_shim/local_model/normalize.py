"""Accept what OpenAI accepts before llama-cpp-python's stricter request models see it.

llama-cpp-python's server validates chat requests with its own pydantic models, which reject
bodies the OpenAI API takes: an assistant message that carries ``tool_calls`` with
``"content": null`` (what pi and the OpenAI SDKs send) fails validation with a 500. A small pure
ASGI layer rewrites exactly that field to ``""`` on ``/v1/chat/completions`` and leaves every
other request untouched.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MAX_BODY = 64 * 1024 * 1024


def normalize_chat_body(body: bytes) -> bytes:
    """The body with ``null`` assistant contents made ``""``; unchanged bytes when not needed."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    messages = doc.get("messages") if isinstance(doc, dict) else None
    if not isinstance(messages, list):
        return body
    changed = False
    for message in messages:
        if isinstance(message, dict) and "content" in message and message["content"] is None:
            message["content"] = ""
            changed = True
    return json.dumps(doc).encode() if changed else body


class ChatBodyNormalizer:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or not str(scope.get("path", "")).endswith(
            "/chat/completions"
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > _MAX_BODY:
                chunks.append(chunk)
                break
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = normalize_chat_body(b"".join(chunks))
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {**scope, "headers": headers}
        whole = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """``messages`` first, then the real channel (which reports a real disconnect)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive
