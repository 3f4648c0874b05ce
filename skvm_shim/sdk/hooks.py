"""The wrappers installed on the SDKs' central request methods.

``request`` is the one method every endpoint of both SDKs goes through (create, ``stream=True``,
``with_raw_response``, ``with_streaming_response``, the ``.stream()`` helpers), with the same
signature in openai 2.x/3.x and anthropic 1.x/2.x. Wrapping it, not the endpoint methods, keeps
every endpoint and return type working. ``_process_response`` is where the SDK receives the HTTP
response of that call; wrapping it is how the body is observed without being touched.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from adapters.wire import format_for_path
from compiler.marker import INTERNAL_HEADER
from skvm_shim.pipeline import Call, CallInfo
from skvm_shim.sdk.responses import attach_observer, build_response, prepare_options

if TYPE_CHECKING:
    from skvm_shim.shim import Shim

log = logging.getLogger("skvm_shim.sdk")

_CURRENT: contextvars.ContextVar[Call | None] = contextvars.ContextVar("skvm_call", default=None)
_INTERNAL = INTERNAL_HEADER.lower()
_SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"}
)
_FAILED = object()

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


def _split(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """(cast_to, options, other keyword arguments) of a ``request`` call."""
    rest = dict(kwargs)
    cast_to = args[0] if args else rest.pop("cast_to")
    options = args[1] if len(args) > 1 else rest.pop("options")
    for name, value in zip(("stream", "stream_cls"), args[2:], strict=False):
        rest[name] = value
    return cast_to, options, rest


def _headers(client: Any, options: Any) -> dict[str, str]:
    """Identification headers of a call (never secrets: they are dropped here)."""
    out: dict[str, str] = {}
    for source in (getattr(client, "_custom_headers", None), getattr(options, "headers", None)):
        if isinstance(source, Mapping):
            for key, value in source.items():
                if isinstance(key, str) and isinstance(value, str):
                    lower = key.lower()
                    if lower not in _SECRET_HEADERS:
                        out[lower] = value
    return out


def _begin(shim: Shim, client: Any, options: Any) -> tuple[Call, Any] | None:
    """Start the pipeline for an LLM call; None for anything the shim leaves alone."""
    if str(getattr(options, "method", "")).lower() != "post":
        return None
    url = getattr(options, "url", "")
    fmt = format_for_path(url) if isinstance(url, str) else None
    body = getattr(options, "json_data", None)
    if fmt is None or not isinstance(body, Mapping):
        return None
    headers = _headers(client, options)
    if _INTERNAL in headers:
        return None
    base = urlsplit(str(getattr(client, "base_url", "")))
    call = shim.pipeline.begin(
        CallInfo(
            fmt=fmt,
            body=body,
            headers=headers,
            mode="patch",
            harness=shim.harness,
            server_address=base.hostname,
            server_port=base.port,
        )
    )
    if call.body is not body:
        options = options.model_copy() if hasattr(options, "model_copy") else options
        options.json_data = call.body
    return call, options


def _prepare(shim: Shim, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not shim.active:
        return None
    try:
        cast_to, options, rest = _split(args, kwargs)
        begun = _begin(shim, client, options)
        if begun is None:
            return None
        call, options = begun
        return call, cast_to, options, rest
    except Exception:
        log.debug("skvm-shim could not prepare the call; passing it through", exc_info=True)
        return None


def sync_request(shim: Shim) -> Wrapper:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        prepared = _prepare(shim, instance, args, kwargs)
        if prepared is None:
            return wrapped(*args, **kwargs)
        call, cast_to, options, rest = prepared
        token = _CURRENT.set(call)
        try:
            if call.synthetic is not None:
                result = _synthetic_sync(instance, call, cast_to, options, rest)
                if result is not _FAILED:
                    return result
            return wrapped(cast_to, options, **rest)
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            _CURRENT.reset(token)

    return wrapper


def async_request(shim: Shim) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        prepared = _prepare(shim, instance, args, kwargs)
        if prepared is None:
            return await wrapped(*args, **kwargs)
        call, cast_to, options, rest = prepared
        token = _CURRENT.set(call)
        try:
            if call.synthetic is not None:
                result = await _synthetic_async(instance, call, cast_to, options, rest)
                if result is not _FAILED:
                    return result
            return await wrapped(cast_to, options, **rest)
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            _CURRENT.reset(token)

    return wrapper


def process_response(shim: Shim) -> Wrapper:
    """Observe the response the SDK is about to parse (sync and async: attaching is sync)."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        call = _CURRENT.get()
        if call is not None and shim.active:
            try:
                response = kwargs.get("response")
                if response is not None:
                    attach_observer(call, response)
            except Exception as exc:
                call.record_fault("observe", exc)
        return wrapped(*args, **kwargs)

    return wrapper


def _synthetic_args(
    client: Any, call: Call, cast_to: Any, options: Any, rest: dict[str, Any]
) -> dict[str, Any]:
    stream = bool(rest.get("stream", False))
    response = build_response(client, options, call.synthesize(), stream=stream)
    if hasattr(client, "_maybe_override_cast_to"):
        cast_to = client._maybe_override_cast_to(cast_to, options)
    return {
        "cast_to": cast_to,
        "options": options,
        "response": response,
        "stream": stream,
        "stream_cls": rest.get("stream_cls"),
        "retries_taken": 0,
    }


def _synthetic_sync(
    client: Any, call: Call, cast_to: Any, options: Any, rest: dict[str, Any]
) -> Any:
    """Answer with the call's synthetic turn through the SDK's own response parsing."""
    try:
        options = prepare_options(client, options)
        result = client._process_response(**_synthetic_args(client, call, cast_to, options, rest))
    except Exception as exc:
        call.record_fault("synthesize", exc)
        return _FAILED
    call.complete_synthetic()
    return result


async def _synthetic_async(
    client: Any, call: Call, cast_to: Any, options: Any, rest: dict[str, Any]
) -> Any:
    try:
        options = prepare_options(client, options)
        if inspect.isawaitable(options):
            options = await options
        kwargs = _synthetic_args(client, call, cast_to, options, rest)
        result = await client._process_response(**kwargs)
    except Exception as exc:
        call.record_fault("synthesize", exc)
        return _FAILED
    call.complete_synthetic()
    return result
