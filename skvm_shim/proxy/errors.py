"""Errors the proxy itself answers with, in the shape the API family's clients parse.

OpenAI clients read ``{"error": {"message", "type", "param", "code"}}``, Anthropic clients
``{"type": "error", "error": {"type", "message"}}``; both SDKs turn the status code into their
usual exception class (``BadRequestError``, ``APIStatusError`` ...). Errors made here carry
``x-skvm-proxy-error: 1`` so they can be told apart from errors relayed from the upstream.
"""

from __future__ import annotations

from adapters.ir import WireFormat
from adapters.wire import codec_for
from skvm_shim.proxy.asgi import Send, send_whole
from skvm_shim.proxy.routes import Family

PROXY_ERROR_HEADER = "x-skvm-proxy-error"

_CODEC_FORMAT: dict[Family, WireFormat] = {
    "openai": WireFormat.CHAT_COMPLETIONS,
    "anthropic": WireFormat.ANTHROPIC_MESSAGES,
}


class ProxyError(Exception):
    """A request the proxy answers itself: status, message, and optionally an error type."""

    def __init__(self, status: int, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


def error_body(family: Family, status: int, message: str, kind: str | None = None) -> bytes:
    return codec_for(_CODEC_FORMAT[family]).render_error(status, message, kind=kind)


async def send_error(
    send: Send,
    family: Family,
    status: int,
    message: str,
    *,
    kind: str | None = None,
    close: bool = False,
) -> None:
    """Answer with an error in ``family``'s shape (``close``: the request body was not read)."""
    headers = [
        (b"content-type", b"application/json"),
        (PROXY_ERROR_HEADER.encode(), b"1"),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send_whole(send, status, headers, error_body(family, status, message, kind))
