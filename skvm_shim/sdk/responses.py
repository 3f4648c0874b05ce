"""HTTP-response plumbing for the SDK patch: tee a real body, fabricate a synthetic one.

Both work on the SDK's own ``httpx`` / ``httpx2`` response objects (whichever module the client
uses), so the SDK parses exactly what it would have parsed from the network and returns its own
types: ``Stream``, ``LegacyAPIResponse``, parsed models, helper streams.
"""

from __future__ import annotations

import datetime
import sys
import weakref
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

from skvm_shim.pipeline import Call, Observer, SyntheticResponse

SYNTHETIC_HEADER = "x-skvm-synthetic"

_TEE_CLASSES: dict[str, type[Any]] = {}
"""One tee class per HTTP module (httpx, httpx2): httpx checks the stream's base classes."""


def http_module(obj: object) -> ModuleType:
    """The top-level module (httpx or httpx2) an HTTP object comes from."""
    return sys.modules[type(obj).__module__.split(".", 1)[0]]


def attach_observer(call: Call, response: Any) -> None:
    """Observe ``response``'s body as the SDK consumes it, without changing what it sees."""
    if response.headers.get(SYNTHETIC_HEADER):
        return
    content_type = response.headers.get("content-type", "")
    stream = "text/event-stream" in content_type
    if getattr(response, "is_stream_consumed", False) and hasattr(response, "_content"):
        observer = call.observer(status=response.status_code, stream=stream)
        observer.feed(response.content)
        observer.finish()
        return
    observer = call.observer(
        status=response.status_code,
        stream=stream,
        content_encoding=response.headers.get("content-encoding"),
    )
    response.stream = _tee_class(http_module(response))(response.stream, observer)
    weakref.finalize(response, observer.finish, incomplete=True)


def _tee_class(mod: ModuleType) -> type[Any]:
    cls = _TEE_CLASSES.get(mod.__name__)
    if cls is None:
        cls = type(
            "SkvmTeeStream",
            (_TeeMixin, mod.SyncByteStream, mod.AsyncByteStream),
            {"__module__": __name__},
        )
        _TEE_CLASSES[mod.__name__] = cls
    return cls


class _TeeMixin:
    """Passes every chunk through unchanged and hands a copy to the observer."""

    def __init__(self, inner: Any, observer: Observer) -> None:
        self._inner = inner
        self._observer = observer
        self._complete = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._observer.feed(chunk)
                yield chunk
        except GeneratorExit:
            self._observer.finish(incomplete=True)
            raise
        except BaseException as exc:
            self._observer.finish(incomplete=True, error=exc)
            raise
        self._complete = True
        self._observer.finish()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._observer.feed(chunk)
                yield chunk
        except GeneratorExit:
            self._observer.finish(incomplete=True)
            raise
        except BaseException as exc:
            self._observer.finish(incomplete=True, error=exc)
            raise
        self._complete = True
        self._observer.finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._observer.finish(incomplete=not self._complete)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._observer.finish(incomplete=not self._complete)


def build_response(client: Any, options: Any, synthetic: SyntheticResponse, *, stream: bool) -> Any:
    """A complete HTTP response object carrying ``synthetic``, as the client's transport would.

    The request is built by the SDK itself so headers it later inspects (raw-response markers)
    are the ones a real call would have had.
    """
    request = client._build_request(options)
    mod = http_module(request)
    headers = dict(synthetic.headers)
    headers[SYNTHETIC_HEADER] = "1"
    response = mod.Response(
        synthetic.status,
        headers=headers,
        stream=mod.ByteStream(b"".join(synthetic.chunks)),
        request=request,
    )
    response.elapsed = datetime.timedelta(0)
    streamed = stream or _streams_body(client, request)
    if not streamed:
        response.read()  # what the transport does for a non-streaming call
    return response


def prepare_options(client: Any, options: Any) -> Any:
    """Options as the SDK itself prepares them before building a request.

    anthropic 2.x merges ``extra_body`` and drops its ``Omit`` sentinels inside ``request`` (in
    ``_copy_and_prepare``); a synthetic answer skips that code, so it is applied here.
    """
    prepare = getattr(client, "_copy_and_prepare", None)
    return prepare(options) if callable(prepare) else options


def _streams_body(client: Any, request: Any) -> bool:
    should = getattr(client, "_should_stream_response_body", None)
    try:
        return bool(should(request=request)) if callable(should) else False
    except Exception:
        return False
