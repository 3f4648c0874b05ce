"""Which headers cross the proxy, in each direction.

The client's credentials and API headers (``authorization``, ``x-api-key``, ``anthropic-version``,
``anthropic-beta``, ``openai-*``, ...) go upstream unchanged. What does not: hop-by-hop headers
(RFC 9110 section 7.6.1, plus those named in ``Connection``), ``host`` and ``content-length``
(the HTTP client sets both for the body actually sent), ``expect``, the proxy's own access token
and the shim-internal marker. The pipeline sees the identification headers only: credentials
never leave this module except towards the upstream.
"""

from __future__ import annotations

from compiler.marker import INTERNAL_HEADER

TOKEN_HEADER = "x-skvm-proxy-token"  # noqa: S105 - a header name, not a token
"""The header a client presents the proxy's access token in (``SKVM_PROXY_TOKEN``)."""

INTERNAL = INTERNAL_HEADER.lower().encode("latin-1")
_TOKEN = TOKEN_HEADER.encode("latin-1")

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_REQUEST_DROP = HOP_BY_HOP | {b"host", b"content-length", b"expect", _TOKEN, INTERNAL}
_RESPONSE_DROP = HOP_BY_HOP
SECRETS = frozenset(
    {b"authorization", b"x-api-key", b"api-key", b"cookie", b"proxy-authorization", _TOKEN}
)
_OBSERVABLE_ENCODINGS = frozenset({"gzip", "deflate", "identity"})

RawHeaders = list[tuple[bytes, bytes]]


def _connection_listed(headers: RawHeaders) -> frozenset[bytes]:
    """Header names a ``Connection`` header declares hop-by-hop."""
    listed: set[bytes] = set()
    for name, value in headers:
        if name == b"connection":
            listed.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return frozenset(listed)


def _observable(accept_encoding: bytes) -> bytes:
    """The client's accepted encodings that the observer can decode (gzip, deflate)."""
    kept = [
        token.strip()
        for token in accept_encoding.split(b",")
        if token.split(b";", 1)[0].strip().lower().decode("latin-1") in _OBSERVABLE_ENCODINGS
    ]
    return b", ".join(kept) if kept else b"identity"


def upstream_request(headers: RawHeaders, *, observed: bool) -> RawHeaders:
    """The headers to send upstream for a request that arrived with ``headers``.

    ``observed``: the response will be parsed by the pipeline, so it must come in an encoding
    the observer decodes; the client still gets only encodings it accepts. Without an
    ``accept-encoding`` from the client, ``identity`` is sent so that the HTTP client's own
    default does not make the upstream compress what the client never asked to be compressed.
    """
    listed = _connection_listed(headers)
    out: RawHeaders = []
    accept: bytes | None = None
    for name, value in headers:
        if name in _REQUEST_DROP or name in listed:
            continue
        if name == b"accept-encoding":
            accept = value if accept is None else accept + b", " + value
            continue
        out.append((name, value))
    if accept is None:
        out.append((b"accept-encoding", b"identity"))
    else:
        out.append((b"accept-encoding", _observable(accept) if observed else accept))
    return out


def identification(headers: RawHeaders) -> dict[str, str]:
    """Lower-case, secret-free headers for harness recognition by the pipeline."""
    out: dict[str, str] = {}
    for raw_name, raw_value in headers:
        if raw_name in SECRETS:
            continue
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def client_response(headers: RawHeaders, *, event_stream: bool) -> RawHeaders:
    """The upstream's response headers as the client gets them.

    ``content-length`` and ``content-encoding`` stay: the body is relayed byte for byte.
    Event streams get ``X-Accel-Buffering: no`` so a reverse proxy in front does not buffer them.
    """
    listed = _connection_listed(headers)
    out = [(n, v) for n, v in headers if n not in _RESPONSE_DROP and n not in listed]
    if event_stream:
        out.append((b"x-accel-buffering", b"no"))
    return out


def has(headers: RawHeaders, name: bytes) -> bool:
    return any(n == name for n, _ in headers)


def get(headers: RawHeaders, name: bytes) -> bytes | None:
    for n, v in headers:
        if n == name:
            return v
    return None
