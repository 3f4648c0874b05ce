"""The request normaliser in front of llama.cpp's server (pure: no model needed)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from skvm_shim.local_model.normalize import ChatBodyNormalizer, normalize_chat_body


def test_null_contents_become_empty_strings_and_nothing_else_changes() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]},
        ],
    }
    out = json.loads(normalize_chat_body(json.dumps(body).encode()))
    assert out["messages"][1]["content"] == ""
    assert out["messages"][0] == body["messages"][0]
    assert out["messages"][1]["tool_calls"] == [{"id": "c"}]


def test_bodies_that_need_nothing_keep_their_bytes() -> None:
    raw = b'{"model": "m",   "messages": [{"role": "user", "content": "hi"}]}'
    assert normalize_chat_body(raw) is raw
    assert normalize_chat_body(b"not json") == b"not json"


def _run(path: str, body: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen["body"] = message["body"]
        seen["headers"] = scope["headers"]

    async def main() -> None:
        chunks = [body[:10], body[10:]]

        async def receive() -> dict[str, Any]:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        scope = {"type": "http", "path": path, "headers": [(b"content-length", b"1")]}
        await ChatBodyNormalizer(app)(scope, receive, lambda m: asyncio.sleep(0))

    asyncio.run(main())
    return seen["body"], seen["headers"]


def test_the_asgi_layer_rewrites_chat_bodies_and_fixes_content_length() -> None:
    body = json.dumps({"messages": [{"role": "assistant", "content": None}]}).encode()
    sent, headers = _run("/v1/chat/completions", body)
    assert json.loads(sent)["messages"][0]["content"] == ""
    assert (b"content-length", str(len(sent)).encode()) in headers
    assert (b"content-length", b"1") not in headers


def test_other_paths_are_not_touched() -> None:
    body = json.dumps({"messages": [{"role": "assistant", "content": None}]}).encode()
    sent, headers = _run("/v1/completions", body[:10])
    assert sent == body[:10]
    assert headers == [(b"content-length", b"1")]
