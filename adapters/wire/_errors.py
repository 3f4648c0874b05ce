"""Error bodies in the shapes the OpenAI and Anthropic clients parse into their exception types."""

from __future__ import annotations

from adapters.wire._jsonutil import dumps

__all__ = ["anthropic_error", "anthropic_error_type", "openai_error", "openai_error_type"]

_COMMON = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
}


def openai_error_type(status: int) -> str:
    if status in _COMMON:
        return _COMMON[status]
    return "server_error" if status >= 500 else "invalid_request_error"


def anthropic_error_type(status: int) -> str:
    if status in _COMMON:
        return _COMMON[status]
    if status == 529:
        return "overloaded_error"
    if status == 504:
        return "timeout_error"
    return "api_error" if status >= 500 else "invalid_request_error"


def openai_error(status: int, message: str, kind: str | None = None) -> bytes:
    """``{"error": {"message", "type", "param", "code"}}``, as OpenAI-compatible servers send."""
    return dumps(
        {
            "error": {
                "message": message,
                "type": kind or openai_error_type(status),
                "param": None,
                "code": None,
            }
        }
    )


def anthropic_error(status: int, message: str, kind: str | None = None) -> bytes:
    """``{"type": "error", "error": {"type", "message"}}``, as the Messages API sends."""
    return dumps(
        {
            "type": "error",
            "error": {"type": kind or anthropic_error_type(status), "message": message},
        }
    )
