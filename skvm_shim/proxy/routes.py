"""Which upstream a request goes to, which harness sent it, and whether it is an LLM call.

The proxy serves ``/v1/...`` (and ``/h/{harness}/v1/...`` to name the harness explicitly) and
maps it onto one of two upstream roots, each standing for ``/v1``:

- ``/v1/chat/completions``, ``/v1/responses[/...]``, ``/v1/completions``, ``/v1/embeddings`` go
  to the OpenAI upstream; ``/v1/messages[/...]`` (``count_tokens``, batches) and
  ``/v1/complete`` go to the Anthropic upstream;
- any other ``/v1/...`` path (``/v1/models``, ``/v1/files``, ...) goes to the Anthropic upstream
  when the request carries an ``anthropic-version`` or ``x-api-key`` header (every Anthropic
  client sends one), else to the OpenAI upstream.

Only ``POST`` to exactly ``/chat/completions``, ``/responses`` or ``/messages`` under ``/v1`` is an
LLM call that runs the pipeline; everything else passes through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

from adapters.harnesses import HARNESS_IDS
from adapters.ir import WireFormat

Family = Literal["openai", "anthropic"]

HEALTH_PATH = "/healthz"

_LLM_CALLS: dict[str, WireFormat] = {
    "/chat/completions": WireFormat.CHAT_COMPLETIONS,
    "/responses": WireFormat.RESPONSES,
    "/messages": WireFormat.ANTHROPIC_MESSAGES,
}
_ANTHROPIC_PREFIXES = ("/messages", "/complete")
_OPENAI_PREFIXES = ("/chat/", "/responses", "/completions", "/embeddings")


@dataclass(frozen=True, slots=True)
class Route:
    """Where one request goes."""

    family: Family
    tail: bytes
    """The raw (still percent-encoded) path after ``/v1``, e.g. ``b"/chat/completions"``."""
    harness: str | None
    """The harness named by an ``/h/{harness}`` prefix, else None (recognise it from the body)."""
    fmt: WireFormat | None
    """The wire format when the request is an LLM call, else None."""


@dataclass(frozen=True, slots=True)
class NoRoute:
    """A path the proxy does not serve, and why (a 404 in the family's error shape)."""

    family: Family
    message: str


def family_from_headers(headers: list[tuple[bytes, bytes]]) -> Family:
    """Anthropic when the request carries an Anthropic client's header, else OpenAI."""
    for name, _ in headers:
        if name in (b"anthropic-version", b"x-api-key"):
            return "anthropic"
    return "openai"


def resolve(
    method: str, path: str, raw_path: bytes, headers: list[tuple[bytes, bytes]]
) -> Route | NoRoute:
    """The route of a request (``path`` decoded, ``raw_path`` as sent, without the query)."""
    segments = path.split("/")
    raw = raw_path.split(b"/")
    harness: str | None = None
    skip = 1  # the empty segment before the first "/"
    if len(segments) > 2 and segments[1] == "h":
        harness = segments[2]
        if harness not in HARNESS_IDS:
            return NoRoute(
                family_from_headers(headers),
                f"unknown harness {harness!r} in the path /h/{harness}/...; valid harness ids:"
                f" {', '.join(HARNESS_IDS)}",
            )
        skip = 3
    skip += 1  # the "v1" segment
    if (
        len(segments) < skip
        or segments[skip - 1] != "v1"
        or [unquote(s.decode("latin-1")) for s in raw[:skip]] != segments[:skip]
    ):
        return NoRoute(
            family_from_headers(headers),
            f"skvm-shim proxy serves /v1/... (and /h/<harness>/v1/...), not {path!r}: set the"
            " OpenAI base URL to http://HOST:PORT/v1 and the Anthropic one to http://HOST:PORT",
        )
    tail_text = "/".join(["", *segments[skip:]]) if len(segments) > skip else ""
    tail = b"/".join([b"", *raw[skip:]]) if len(raw) > skip else b""
    if tail_text.startswith(_ANTHROPIC_PREFIXES):
        family: Family = "anthropic"
    elif tail_text.startswith(_OPENAI_PREFIXES):
        family = "openai"
    else:
        family = family_from_headers(headers)
    fmt = _LLM_CALLS.get(tail_text.rstrip("/")) if method == "POST" else None
    return Route(family, tail, harness, fmt)


def raw_path_of(scope_path: str, scope_raw: bytes | None) -> bytes:
    """The request path as sent; for servers that omit ``raw_path``, the path re-encoded."""
    if scope_raw is not None:
        return scope_raw
    return quote(scope_path, safe="/:@!$&'()*+,;=-._~").encode("ascii")
