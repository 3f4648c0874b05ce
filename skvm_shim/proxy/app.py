"""The proxy's ASGI app: route, authorise, read and check the body, run the pipeline, forward.

Pure ASGI, no framework on the request path: the app reads the body itself (with a size limit),
hands LLM calls to the same :class:`~skvm_shim.pipeline.Pipeline` that ``patch()`` uses, and
relays the upstream response with :func:`~skvm_shim.proxy.forward.relay`.

An unchanged request body is forwarded as the exact bytes the client sent; only a body the
pipeline rewrote (a skill swapped for its variant) is serialised again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import anyio.to_thread

from skvm_shim.pipeline import Call, CallInfo
from skvm_shim.proxy import headers as hdrs
from skvm_shim.proxy.asgi import Receive, Scope, Send, send_whole
from skvm_shim.proxy.auth import TokenCheck
from skvm_shim.proxy.errors import ProxyError, send_error
from skvm_shim.proxy.forward import DEFAULT_TIMEOUT_S, Upstream, relay, send_synthetic
from skvm_shim.proxy.routes import HEALTH_PATH, Family, NoRoute, Route, raw_path_of, resolve
from skvm_shim.runtime import Runtime

log = logging.getLogger("skvm_shim.proxy")

MAX_BODY = 32 * 1024 * 1024
"""Default request body limit (bytes): far above any real request, far below harm."""
OFFLOAD_BYTES = 256 * 1024
"""Bodies larger than this are parsed and scanned in a worker thread, not on the event loop."""

_HEALTH_BODY = b'{"status":"ok"}'
_JSON_HEADERS = [(b"content-type", b"application/json")]


class _ClientGone(Exception):
    """The client disconnected before its request body arrived."""


class ProxyApp:
    """ASGI app serving one runtime's pipeline to HTTP clients (see :func:`create_app`)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        upstream_openai: str,
        upstream_anthropic: str,
        token: str | None = None,
        max_body: int = MAX_BODY,
        upstream_timeout: float = DEFAULT_TIMEOUT_S,
        transport: Any = None,
    ) -> None:
        self.runtime = runtime
        self.upstream = Upstream(
            openai=upstream_openai,
            anthropic=upstream_anthropic,
            timeout=upstream_timeout,
            transport=transport,
        )
        self.max_body = max_body
        self._token = TokenCheck(token)
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop serving the app (set at lifespan startup), for diagnostics."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def aclose(self) -> None:
        """Close the upstream connection pool (the runtime belongs to the caller)."""
        await self.upstream.aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            await send_whole(send, 200, _JSON_HEADERS, _HEALTH_BODY)
            return
        headers: hdrs.RawHeaders = scope["headers"]
        route = resolve(method, path, raw_path_of(path, scope.get("raw_path")), headers)
        if isinstance(route, NoRoute):
            await send_error(send, route.family, 404, route.message, kind="not_found_error")
            return
        if not self._token.allows(headers):
            await send_error(
                send,
                route.family,
                401,
                f"skvm-shim proxy: missing or wrong access token; send it in the"
                f" {hdrs.TOKEN_HEADER} header",
                kind="authentication_error",
                close=True,
            )
            return
        try:
            body = await _read_body(receive, headers, self.max_body)
            call: Call | None = None
            if route.fmt is not None and not hdrs.has(headers, hdrs.INTERNAL):
                if len(body) > OFFLOAD_BYTES:
                    call, body = await anyio.to_thread.run_sync(self._prepare, route, scope, body)
                else:
                    call, body = self._prepare(route, scope, body)
        except ProxyError as exc:
            await send_error(
                send, route.family, exc.status, exc.message, kind=exc.kind, close=exc.status == 413
            )
            return
        except _ClientGone:
            return
        if call is not None and call.synthetic is not None and await _answer(call, send):
            return
        upstream = self.upstream
        try:
            request = upstream.request(
                method,
                upstream.url(route.family, route.tail, scope.get("query_string", b"")),
                hdrs.upstream_request(headers, observed=call is not None),
                body,
            )
        except Exception as exc:  # a path or header the HTTP client cannot send
            if call is not None:
                call.fail(exc, status=400)
            await send_error(send, route.family, 400, f"cannot forward this request: {exc}")
            return
        await relay(
            upstream, family=route.family, request=request, receive=receive, send=send, call=call
        )

    def _prepare(self, route: Route, scope: Scope, body: bytes) -> tuple[Call, bytes]:
        """Check and parse an LLM call's body, run the pipeline; the call and the bytes to send."""
        assert route.fmt is not None
        headers: hdrs.RawHeaders = scope["headers"]
        parsed = _parse_json(headers, body, route.family)
        root = self.upstream.roots[route.family]
        call = self.runtime.pipeline.begin(
            CallInfo(
                fmt=route.fmt,
                body=parsed,
                headers=hdrs.identification(headers),
                mode="proxy",
                harness=route.harness,
                server_address=root.host,
                server_port=root.port,
            )
        )
        if call.body is not parsed:
            try:
                body = _dumps(call.body)
            except Exception as exc:  # fail open: the original request goes out
                call.record_fault("proxy.encode", exc)
                call.body = parsed
        return call, body


async def _answer(call: Call, send: Send) -> bool:
    """Send the call's synthetic turn; False (and the call is forwarded) if it cannot be made."""
    try:
        synthetic = call.synthesize()
    except Exception as exc:
        call.record_fault("synthesize", exc)
        return False
    await send_synthetic(send, synthetic)
    call.complete_synthetic()
    return True


async def _read_body(receive: Receive, headers: hdrs.RawHeaders, limit: int) -> bytes:
    declared = hdrs.get(headers, b"content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ProxyError(400, f"invalid content-length header {declared!r}") from None
        if size > limit:
            raise ProxyError(413, _too_large(size, limit))
    message = await receive()
    if message["type"] == "http.disconnect":
        raise _ClientGone
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise ProxyError(413, _too_large(len(body), limit))
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProxyError(413, _too_large(size, limit, more=True))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(size: int, limit: int, *, more: bool = False) -> str:
    got = f"more than {limit}" if more else str(size)
    return (
        f"request body of {got} bytes exceeds the skvm-shim proxy limit of {limit} bytes"
        " (skvm-shim proxy --max-body)"
    )


def _parse_json(headers: hdrs.RawHeaders, body: bytes, family: Family) -> dict[str, Any]:
    content_type = hdrs.get(headers, b"content-type")
    if content_type is not None:
        main = content_type.split(b";", 1)[0].strip().lower()
        if main != b"application/json" and not main.endswith(b"+json"):
            raise ProxyError(
                415,
                "request body must be JSON (content-type: application/json), not"
                f" {content_type.decode('latin-1')!r}",
                kind="invalid_request_error",
            )
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise ProxyError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ProxyError(400, f"request body must be a JSON object, not {type(parsed).__name__}")
    return parsed


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_encode_ascii = json.JSONEncoder(separators=(",", ":")).encode


def _dumps(obj: Any) -> bytes:
    """Compact JSON as the SDKs send it; ASCII escapes for text with lone surrogates."""
    try:
        return _encode(obj).encode()
    except UnicodeEncodeError:
        return _encode_ascii(obj).encode()


def create_app(
    runtime: Runtime,
    *,
    upstream_openai: str,
    upstream_anthropic: str,
    token: str | None = None,
    max_body: int = MAX_BODY,
    upstream_timeout: float = DEFAULT_TIMEOUT_S,
    transport: Any = None,
) -> ProxyApp:
    """The proxy as an ASGI app on ``runtime``'s pipeline.

    ``upstream_openai`` is an OpenAI base URL (with ``/v1``), ``upstream_anthropic`` an Anthropic
    one (without). ``token``: clients must send it in ``X-Skvm-Proxy-Token``. ``transport``: an
    ``httpx2`` async transport for the upstream (tests). Serve it with any ASGI server; its
    lifespan shutdown (or :meth:`ProxyApp.aclose`) closes the upstream connections.
    """
    return ProxyApp(
        runtime,
        upstream_openai=upstream_openai,
        upstream_anthropic=upstream_anthropic,
        token=token,
        max_body=max_body,
        upstream_timeout=upstream_timeout,
        transport=transport,
    )
