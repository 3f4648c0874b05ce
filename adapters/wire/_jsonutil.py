"""Small JSON and value helpers shared by the codecs (no pydantic, no deep copies)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

__all__ = ["as_int", "as_str", "canonical", "dumps", "new_id", "now", "parse_json"]

_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ascii = json.JSONEncoder(separators=(",", ":")).encode


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as the APIs send it (non-ASCII kept raw).

    Text holding lone surrogates (possible in strings that came from JSON ``\\ud800`` escapes)
    has no UTF-8 form; it is sent with ASCII escapes instead, which is still the same JSON.
    """
    try:
        return _compact(obj).encode()
    except UnicodeEncodeError:
        return _ascii(obj).encode()


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# One prebuilt C encoder: ``json.dumps`` builds a new one per call, which doubles the cost of the
# small objects (tool inputs) the request parsers serialise. No circular-reference markers: a
# cycle ends in RecursionError, which callers treat like any other unserialisable value.
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_c_encoder = (
    _make_c_encoder(
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    if _make_c_encoder is not None
    else None
)


def canonical(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``: the canonical text of a
    JSON value, used for tool-call arguments that the wire carries as objects."""
    if _c_encoder is None or isinstance(obj, str):
        return _compact(obj)
    return "".join(_c_encoder(obj, 0))


def parse_json(data: str | bytes) -> Any:
    """The JSON value, or None when the text is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, TypeError, RecursionError):
        return None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: Any) -> int | None:
    """An integer token count; bools and other types are treated as absent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def new_id(prefix: str) -> str:
    """A fresh, plausible object id such as ``chatcmpl-...``, ``resp_...``, ``msg_...``."""
    return prefix + secrets.token_hex(12)


def now() -> int:
    return int(time.time())
