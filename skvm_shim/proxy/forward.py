"""Forward one request upstream and relay the response to the client as it arrives.

The body is relayed chunk by chunk as the upstream sends it (``aiter_raw``: no decoding, no
re-chunking, no buffering) and each chunk is handed to the pipeline's observer after it went out.
A task watches the client for the whole exchange: when it disconnects, the upstream request is
cancelled at once, whether it is still connecting, waiting for the first byte or streaming.

Failures, all relayed the way the client's SDK expects them:

- the upstream answers with an error status: relayed unchanged (status, body, headers such as
  ``retry-after`` and the request id), like any response;
- the upstream cannot be reached: 502 (503 when the connection pool is exhausted, 504 when it
  timed out) in the API family's error shape, since no response was started;
- the upstream breaks off mid-body: the client connection is broken off too (:class:`UpstreamCut`
  reaches the server, which closes the connection), so the client sees the same incomplete body
  it would have seen without the proxy.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2

from skvm_shim.pipeline import Call, Observer, SyntheticResponse
from skvm_shim.proxy import headers as hdrs
from skvm_shim.proxy.asgi import Receive, Send, send_whole
from skvm_shim.proxy.errors import send_error
from skvm_shim.proxy.routes import Family

log = logging.getLogger("skvm_shim.proxy")

DEFAULT_TIMEOUT_S = 600.0
"""Read timeout towards the upstream: the SDKs' own default, so the proxy is never the stricter."""
CONNECT_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 512
MAX_KEEPALIVE = 64
_URL_CACHE = 1024


class UpstreamCut(Exception):
    """The upstream broke off a response the client had started to receive.

    Raised to the ASGI server so that it drops the client connection: an incomplete body is
    what the client would have got from the upstream directly.
    """


class ClientDisconnected(Exception):
    """The client went away before the upstream's answer reached it (the call's error type)."""


@dataclass(frozen=True, slots=True)
class _Root:
    url: str
    """What ``/v1`` maps to, without a trailing slash."""
    host: str | None
    port: int | None


def _root(base_url: str, *, family: Family) -> _Root:
    """The upstream root standing for ``/v1``.

    The OpenAI base URL is used as given (it includes ``/v1``, as ``OPENAI_BASE_URL`` does); the
    Anthropic one gets ``/v1`` appended (as ``ANTHROPIC_BASE_URL`` does), unless it already ends
    in ``/v1``.
    """
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the {family} upstream must be an http(s) URL, not {base_url!r}")
    if family == "anthropic" and not url.endswith("/v1"):
        url += "/v1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return _Root(url, parts.hostname, port)


def _no_cookies() -> http.cookiejar.CookieJar:
    # The client is shared by every caller of the proxy: cookies one upstream response sets must
    # never ride along on another caller's request.
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


class Upstream:
    """The two upstream roots and the one pooled HTTP client that reaches them.

    The client is created on first use, in the event loop that serves the requests, and closed
    by :meth:`aclose` (the ASGI lifespan shutdown).
    """

    def __init__(
        self,
        *,
        openai: str,
        anthropic: str,
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.roots: dict[Family, _Root] = {
            "openai": _root(openai, family="openai"),
            "anthropic": _root(anthropic, family="anthropic"),
        }
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._transport = transport
        self._client: httpx2.AsyncClient | None = None
        self._urls: dict[tuple[Family, bytes, bytes], httpx2.URL] = {}
        self._extensions = {
            "timeout": httpx2.Timeout(
                timeout, connect=connect_timeout, pool=connect_timeout
            ).as_dict()
        }

    def url(self, family: Family, tail: bytes, query: bytes) -> httpx2.URL:
        """The upstream URL for a path tail and query (parsed once per distinct pair)."""
        key = (family, tail, query)
        url = self._urls.get(key)
        if url is None:
            text = self.roots[family].url + tail.decode("latin-1")
            url = httpx2.URL(f"{text}?{query.decode('latin-1')}" if query else text)
            if len(self._urls) >= _URL_CACHE:
                self._urls.clear()
            self._urls[key] = url
        return url

    def request(
        self, method: str, url: httpx2.URL, headers: hdrs.RawHeaders, body: bytes
    ) -> httpx2.Request:
        """A request as the client would build it, without merging client defaults into it."""
        return httpx2.Request(
            method, url, headers=headers, content=body or None, extensions=self._extensions
        )

    def origin(self, family: Family) -> str:
        parts = urlsplit(self.roots[family].url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def client(self) -> httpx2.AsyncClient:
        if self._client is None:
            client = httpx2.AsyncClient(
                timeout=httpx2.Timeout(
                    self.timeout, connect=self.connect_timeout, pool=self.connect_timeout
                ),
                limits=httpx2.Limits(
                    max_connections=MAX_CONNECTIONS,
                    max_keepalive_connections=MAX_KEEPALIVE,
                    keepalive_expiry=30.0,
                ),
                follow_redirects=False,
                cookies=_no_cookies(),
                transport=self._transport,
            )
            # Only what the client sent goes upstream: no default user-agent or accept headers.
            for name in ("accept", "accept-encoding", "connection", "user-agent"):
                del client.headers[name]
            self._client = client
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


@dataclass
class _Exchange:
    """One request's relay state, shared with the task watching the client."""

    call: Call | None
    disconnected: bool = False
    finished: bool = False
    cut: BaseException | None = None
    response: httpx2.Response | None = None
    observer: Observer | None = None


async def relay(
    upstream: Upstream,
    *,
    family: Family,
    request: httpx2.Request,
    receive: Receive,
    send: Send,
    call: Call | None,
) -> None:
    """Send ``request`` upstream and relay the response; raises :class:`UpstreamCut` on a cut.

    A plain task watches the client, and cancels this one when it disconnects (an anyio task
    group per request costs ten times as much).
    """
    exchange = _Exchange(call)
    task = asyncio.current_task()
    assert task is not None
    watcher = asyncio.get_running_loop().create_task(_watch_client(receive, exchange, task))
    try:
        try:
            await _exchange(upstream, exchange, family, request, send)
        except asyncio.CancelledError:
            # Ours (the client left) is absorbed; any other cancellation goes on.
            if not exchange.disconnected or task.uncancel() > 0:
                raise
    finally:
        exchange.finished = True
        watcher.cancel()
        if exchange.response is not None:
            await exchange.response.aclose()
        if exchange.observer is not None:
            exchange.observer.finish(incomplete=True)  # a no-op when it already finished
    if exchange.disconnected and call is not None:
        # Before the upstream answered (once it did, the observer already ended the call).
        call.fail(ClientDisconnected("the client disconnected before the upstream answered"))
    if exchange.cut is not None:
        raise UpstreamCut(f"the {family} upstream broke off the response") from exchange.cut


async def _watch_client(receive: Receive, exchange: _Exchange, task: asyncio.Task[Any]) -> None:
    """Cancel the exchange when the client goes away before the response is complete."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if not exchange.finished:
                exchange.disconnected = True
                task.cancel()
            return


async def _exchange(
    upstream: Upstream, exchange: _Exchange, family: Family, request: httpx2.Request, send: Send
) -> None:
    call = exchange.call
    try:
        response = await upstream.client.send(request, stream=True)
    except httpx2.PoolTimeout as exc:
        message = "too many requests in flight to the upstream; try again"
        await _unreachable(send, call, family, status=503, message=message, exc=exc)
        return
    except httpx2.TimeoutException as exc:
        what = "accept the connection" if isinstance(exc, httpx2.ConnectTimeout) else "answer"
        message = f"the upstream {upstream.origin(family)} did not {what} in time"
        await _unreachable(send, call, family, status=504, message=message, exc=exc)
        return
    except Exception as exc:  # any failure to get a response: nothing was sent to the client
        message = f"skvm-shim proxy could not reach the upstream {upstream.origin(family)}: {exc}"
        await _unreachable(send, call, family, status=502, message=message, exc=exc)
        return
    exchange.response = response
    response_headers = [(name.lower(), value) for name, value in response.headers.raw]
    event_stream = b"text/event-stream" in (hdrs.get(response_headers, b"content-type") or b"")
    observer = None
    if call is not None:
        encoding = hdrs.get(response_headers, b"content-encoding")
        observer = exchange.observer = call.observer(
            status=response.status_code,
            stream=event_stream,
            content_encoding=encoding.decode("latin-1") if encoding else None,
        )
    try:
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": hdrs.client_response(response_headers, event_stream=event_stream),
            }
        )
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if observer is not None:
                observer.feed(chunk)
        exchange.finished = True
        if observer is not None:  # before the client can see the end: the span is done first
            observer.finish()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except httpx2.HTTPError as exc:
        exchange.cut = exc
        if observer is not None:
            observer.finish(incomplete=True, error=exc)
    except OSError:
        # ASGI servers that report a gone client by raising from send (spec 2.4).
        exchange.disconnected = True


async def _unreachable(
    send: Send,
    call: Call | None,
    family: Family,
    *,
    status: int,
    message: str,
    exc: BaseException,
) -> None:
    log.warning("skvm-shim proxy: %s (%s)", message, type(exc).__name__)
    if call is not None:
        call.fail(exc, status=status)
    await send_error(send, family, status, message)


async def send_synthetic(send: Send, synthetic: SyntheticResponse) -> None:
    """Answer with a response the pipeline made up (a replayed turn) instead of the upstream's."""
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in synthetic.headers.items()
    ]
    if any(n == b"content-type" and b"text/event-stream" in v for n, v in headers):
        headers.append((b"x-accel-buffering", b"no"))
        await send({"type": "http.response.start", "status": synthetic.status, "headers": headers})
        for chunk in synthetic.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        await send_whole(send, synthetic.status, headers, b"".join(synthetic.chunks))
