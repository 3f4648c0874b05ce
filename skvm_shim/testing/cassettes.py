"""vcrpy settings for cassettes of real model traffic.

Cassettes hold what a *real* server answered (the local model server, real harness traffic
captured by the proxy), never the scripted upstream. Requests match on method, URL and a JSON-aware
body comparison that ignores key order and volatile fields; credentials are filtered before
anything is written.
"""

from __future__ import annotations

import json
from typing import Any

SECRET_HEADERS = (
    "authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "set-cookie",
    "openai-organization",
    "openai-project",
    "anthropic-organization-id",
)
VOLATILE_BODY_KEYS = frozenset(
    {"metadata", "user", "prompt_cache_key", "safety_identifier", "client_metadata"}
)


def _canonical(body: Any) -> Any:
    if body is None:
        return None
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return body
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in VOLATILE_BODY_KEYS}
    return body


def json_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: equal JSON bodies (key order and volatile fields ignored)."""
    a, b = _canonical(r1.body), _canonical(r2.body)
    if a != b:
        raise AssertionError("request bodies differ")


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
    return response


VCR_CONFIG: dict[str, Any] = {
    "filter_headers": [(h, None) for h in SECRET_HEADERS],
    "match_on": ["method", "scheme", "host", "port", "path", "query", "json_body"],
    "decode_compressed_response": True,
    "before_record_response": _scrub_response,
}
