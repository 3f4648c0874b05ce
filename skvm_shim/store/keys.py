"""Keys: the project-wide content hash, compound keys, and time-ordered log keys.

Compound keys join their parts with NUL, which sorts below every other character, so joined
keys sort exactly like the tuples they encode and ``key_prefix(*parts)`` prefix-scans exactly the
keys that extend ``parts``. A part may contain any character: NUL and \\x01 inside a part are
escaped to \\x01\\x01 and \\x01\\x02, an order-preserving, prefix-free encoding.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time

SEP = "\x00"
"""Separator between the parts of a compound key."""

_ESC = "\x01"
_LOG_KEY_TIME_DIGITS = 20


def content_hash(data: bytes | str) -> str:
    """The project-wide content hash: blake2b with a 16-byte digest, as 32 hex characters.

    Text is hashed as UTF-8; lone surrogates (possible in text decoded from JSON) are encoded
    with ``surrogatepass`` so every ``str`` has a hash, identical to strict UTF-8 for valid text.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _escape(part: str) -> str:
    if SEP not in part and _ESC not in part:
        return part
    return part.replace(_ESC, "\x01\x02").replace(SEP, "\x01\x01")


def _unescape(part: str) -> str:
    if _ESC not in part:
        return part
    out: list[str] = []
    i = 0
    while i < len(part):
        ch = part[i]
        if ch != _ESC:
            out.append(ch)
            i += 1
            continue
        code = part[i + 1 : i + 2]
        if code == "\x01":
            out.append(SEP)
        elif code == "\x02":
            out.append(_ESC)
        else:
            raise ValueError(f"malformed compound key part {part!r}")
        i += 2
    return "".join(out)


def join_key(*parts: str) -> str:
    """Join parts into one key that sorts like the tuple ``parts`` and splits back exactly."""
    if not parts:
        raise ValueError("join_key needs at least one part")
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"key parts must be str, not {type(part).__name__}")
    return SEP.join(_escape(p) for p in parts)


def split_key(key: str) -> tuple[str, ...]:
    """Inverse of :func:`join_key`."""
    return tuple(_unescape(p) for p in key.split(SEP))


def key_prefix(*parts: str) -> str:
    """Prefix matching exactly the keys whose leading parts are ``parts`` (and that have more).

    ``scan(table, key_prefix("a"))`` finds ``join_key("a", "x")`` but not ``join_key("ab", "x")``,
    which a plain ``join_key("a")`` prefix would also match.
    """
    return join_key(*parts) + SEP


def format_log_key(time_ns: int, pid: int, seq: int) -> str:
    """A log key: zero-padded wall-clock nanoseconds first, so keys sort by time."""
    return f"{time_ns:0{_LOG_KEY_TIME_DIGITS}d}-{pid:07d}-{seq:06d}"


def log_key_time_ns(key: str) -> int:
    """The time (ns since the epoch) a log key was made, also for keys made with ``under=``."""
    last = key.rsplit(SEP, 1)[-1]
    stamp = last[:_LOG_KEY_TIME_DIGITS]
    if len(stamp) != _LOG_KEY_TIME_DIGITS or not stamp.isdigit():
        raise ValueError(f"{key!r} is not a log key")
    return int(stamp)


class LogKeyClock:
    """Makes log keys that are unique across processes and strictly increasing within one.

    Wall-clock time can stand still or step back; the clock then moves one nanosecond past the
    last key it made, so keys from one process never collide or reorder. The pid separates
    processes that hit the same nanosecond.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ns = 0
        self._seq = 0

    def next_key(self) -> str:
        with self._lock:
            now = time.time_ns()
            if now <= self._last_ns:
                now = self._last_ns + 1
            self._last_ns = now
            self._seq = (self._seq + 1) % 1_000_000
            return format_log_key(now, os.getpid(), self._seq)
