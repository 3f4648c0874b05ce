"""The ASGI app of the scripted upstream: routing, logging, timing and fault injection.

Routes match on the path *suffix*, so ``/v1/chat/completions``, ``/chat/completions`` and
``/any/prefix/v1/chat/completions`` are the same endpoint; query strings (Claude Code's
``?beta=true``) are ignored. Control endpoints (``/_script``, ``/_reset``, ``/_requests``) and
``/healthz`` match exactly and are not logged. Scripted answers carry ``x-scripted-turn`` (the
turn's index, or ``default``) besides the API's own request-id header.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from skvm_shim.testing import _chat, _messages, _responses
from skvm_shim.testing._render import Family, error_body, estimate_tokens, new_id, resolve
from skvm_shim.testing._state import RecordedRequest, UpstreamState
from skvm_shim.testing.script import Turn, load_script

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_MODELS = ("scripted-model",)


class StreamCut(Exception):
    """Raised inside the app to make the server drop the connection mid-body (a scripted cut).

    Over a socket uvicorn closes the connection and the client sees an incomplete body; through
    ``httpx2.ASGITransport`` (in-process) this exception reaches the client instead.
    """


class _CutFilter(logging.Filter):
    """Drops uvicorn's traceback for scripted cuts: they are the behaviour asked for, not bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BaseExceptionGroup):
            return not all(isinstance(e, StreamCut) for e in error.exceptions)
        return not isinstance(error, StreamCut)


_CUT_FILTER = _CutFilter()


def silence_scripted_cuts() -> None:
    """Install the filter on uvicorn's error logger (idempotent; logging config is process-wide)."""
    logger = logging.getLogger("uvicorn.error")
    if _CUT_FILTER not in logger.filters:
        logger.addFilter(_CUT_FILTER)


def _endpoint(path: str) -> str:
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    if path.endswith("/messages/count_tokens"):
        return "count_tokens"
    if path.endswith("/messages"):
        return "messages"
    if path.endswith("/models") or "/models/" in path:
        return "models"
    return "unknown"


def _family(endpoint: str, headers: dict[str, str]) -> Family:
    if endpoint in ("messages", "count_tokens"):
        return "anthropic"
    if endpoint in ("chat", "responses"):
        return "openai"
    return "anthropic" if "anthropic-version" in headers else "openai"


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status, headers, media_type="application/json")


class ScriptedApp:
    """ASGI app answering OpenAI and Anthropic requests from an :class:`UpstreamState`."""

    def __init__(self, state: UpstreamState, models: Sequence[str] = DEFAULT_MODELS) -> None:
        self.state = state
        self.models = tuple(models)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = scope["path"]
        control = _CONTROL.get((scope["method"], path))
        response = await (control(self, request) if control else self._api(request, path))
        if isinstance(response, Response):
            await response(scope, receive, send)
        else:
            await response.send(receive, send)

    async def _api(self, request: Request, path: str) -> Response | _ScriptedBody:
        endpoint = _endpoint(path)
        headers = _headers(request.scope)
        family = _family(endpoint, headers)
        raw = await request.body()
        text = raw.decode("utf-8", errors="replace")
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = text
        generating = endpoint in ("chat", "responses", "messages")
        stream = isinstance(parsed, dict) and parsed.get("stream") is True
        index, turn = (None, None)
        if generating and isinstance(parsed, dict) and request.method == "POST":
            index, turn = self.state.take(endpoint, text, parsed)
        self.state.record(
            RecordedRequest(
                time=time.time(),
                method=request.method,
                path=path,
                query=request.scope["query_string"].decode("latin-1"),
                headers=headers,
                body=parsed,
                endpoint=endpoint,
                stream=stream,
                turn_index=index,
                turn=turn,
            )
        )
        if turn is not None:
            return await self._generate(
                endpoint=endpoint,
                family=family,
                turn=turn,
                index=index,
                request=parsed,
                size=len(raw),
                stream=stream,
            )
        if endpoint == "models" and request.method == "GET":
            return self._models(path, family)
        if endpoint == "count_tokens" and request.method == "POST":
            return _json({"input_tokens": estimate_tokens(len(raw))})
        if generating and request.method == "POST":
            return _json(error_body(family, 400, "request body must be a JSON object"), 400)
        if endpoint == "unknown":
            return _json(error_body(family, 404, f"no such endpoint: {path}"), 404)
        return _json(error_body(family, 405, f"method {request.method} not allowed"), 405)

    async def _generate(
        self,
        *,
        endpoint: str,
        family: Family,
        turn: Turn,
        index: int | None,
        request: dict[str, Any],
        size: int,
        stream: bool,
    ) -> Response | _ScriptedBody:
        request_id = new_id("req_")
        headers = {
            "x-request-id" if family == "openai" else "request-id": request_id,
            "x-scripted-turn": "default" if index is None else str(index),
        }
        if turn.delay_ms:
            await anyio.sleep(turn.delay_ms / 1000)
        if turn.error is not None:
            error = turn.error
            body = (
                error_body(family, error.status, error.message, request_id)
                if error.body is None
                else error.body
            )
            return _json(body, error.status, {**headers, **error.headers})
        answer = resolve(turn, request, size)
        if stream:
            if endpoint == "chat":
                events = _chat.events(answer, request)
            elif endpoint == "responses":
                events = _responses.events(answer, request)
            else:
                events = _messages.events(answer)
            return _ScriptedBody(events, headers, turn, stream=True)
        if endpoint == "chat":
            payload = _chat.body(answer)
        elif endpoint == "responses":
            payload = _responses.body(answer, request)
        else:
            payload = _messages.body(answer)
        encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return _ScriptedBody([encoded], headers, turn, stream=False)

    def _models(self, path: str, family: Family) -> Response:
        _, found, wanted = path.partition("/models/")
        entries = [
            # One shape both SDKs accept: OpenAI's model list plus Anthropic's fields.
            {
                "id": model,
                "object": "model",
                "created": 0,
                "owned_by": "scripted-upstream",
                "type": "model",
                "display_name": model,
                "created_at": "2025-01-01T00:00:00Z",
            }
            for model in self.models
        ]
        if found:
            match = [entry for entry in entries if entry["id"] == wanted]
            if match:
                return _json(match[0])
            return _json(error_body(family, 404, f"model {wanted!r} not found"), 404)
        first, last = (entries[0]["id"], entries[-1]["id"]) if entries else (None, None)
        return _json(
            {
                "object": "list",
                "data": entries,
                "has_more": False,
                "first_id": first,
                "last_id": last,
            }
        )


class _ScriptedBody:
    """A 200 response sent piece by piece, with the turn's chunk delay and cut applied.

    A stream is one piece per SSE event; a JSON body is one piece, and a cut sends half of it.
    """

    def __init__(self, pieces: list[bytes], headers: dict[str, str], turn: Turn, *, stream: bool):
        self.pieces = pieces
        self.headers = {
            **headers,
            "content-type": "text/event-stream; charset=utf-8" if stream else "application/json",
        }
        if stream:
            self.headers["cache-control"] = "no-cache"
        self.turn = turn
        self.stream = stream

    async def send(self, receive: Receive, send: Send) -> None:
        turn, pieces, streaming = self.turn, self.pieces, self.stream
        cut = turn.cut_after_events
        if cut is not None:
            pieces = pieces[:cut] if streaming else [pieces[0][: len(pieces[0]) // 2]]
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        if cut is None and not streaming:
            raw_headers.append((b"content-length", str(len(pieces[0])).encode()))
        elif cut is not None and turn.cut_mode == "abort" and not streaming:
            # Promise the whole body, then break the promise: the client sees a short read.
            raw_headers.append((b"content-length", str(len(self.pieces[0])).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        if turn.chunk_delay_ms and streaming:
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                await self._send_pieces(send, pieces, turn.chunk_delay_ms / 1000)
                group.cancel_scope.cancel()
        else:
            await self._send_pieces(send, pieces, 0)
        if cut is not None and turn.cut_mode == "abort":
            raise StreamCut(f"scripted cut after {cut} events")
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _send_pieces(send: Send, pieces: list[bytes], delay: float) -> None:
        for position, piece in enumerate(pieces):
            if delay and position:
                await anyio.sleep(delay)
            await send({"type": "http.response.body", "body": piece, "more_body": True})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _post_script(app: ScriptedApp, request: Request) -> Response:
    try:
        script = load_script(json.loads(await request.body() or b"[]"))
    except (ValueError, ValidationError) as error:
        return _json({"error": {"message": str(error), "type": "invalid_script"}}, 400)
    queued = app.state.add(script.turns)
    if script.default is not None:
        app.state.set_default(script.default)
    return _json({"queued": queued})


async def _get_script(app: ScriptedApp, request: Request) -> Response:
    return _json({"pending": [turn.model_dump(mode="json") for turn in app.state.pending()]})


async def _reset(app: ScriptedApp, request: Request) -> Response:
    app.state.reset()
    return _json({"ok": True})


async def _requests(app: ScriptedApp, request: Request) -> Response:
    return _json([entry.model_dump(mode="json") for entry in app.state.requests()])


async def _health(app: ScriptedApp, request: Request) -> Response:
    return _json({"status": "ok"})


_CONTROL: dict[tuple[str, str], Callable[[ScriptedApp, Request], Awaitable[Response]]] = {
    ("POST", "/_script"): _post_script,
    ("GET", "/_script"): _get_script,
    ("POST", "/_reset"): _reset,
    ("GET", "/_requests"): _requests,
    ("GET", "/healthz"): _health,
}
