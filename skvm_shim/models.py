"""Model ids as the runtime keys them (variants, compile requests, profiles).

One normalisation for the whole project: the compiler's ``compiler.model_ids.model_key`` (so a
variant compiled for ``--model qwen3.5-9b`` serves a request for ``qwen/qwen3.5-9b`` and finds the
profile measured as ``openrouter/qwen/qwen3.5-9b``), with user-defined aliases on top, stored in
the ``model_aliases`` table (``skvm-shim profiles alias``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping

from pydantic import BaseModel, Field

from compiler.model_ids import ModelAliases, model_key
from skvm_shim.store import Store, StoreUnavailable, Table

UNKNOWN = "unknown"
_ALIAS_TTL_S = 5.0
_KEY_CACHE = 4096


class ModelAlias(BaseModel):
    """``source`` (any spelling) stands for ``target``; keyed by ``model_key(source)``."""

    source: str
    target: str
    created_ns: int = Field(default_factory=time.time_ns)


MODEL_ALIASES: Table[ModelAlias] = Table("model_aliases", ModelAlias, 1)


def normalize_model(
    model: str | None, aliases: ModelAliases | Mapping[str, str] | None = None
) -> str:
    """Canonical model id: ``model_key`` after following ``aliases``; ``unknown`` when empty.

    ``openrouter/qwen/qwen3.5-35b-a3b``, ``qwen/qwen3.5-35b-a3b`` and ``Qwen3.5-35B-A3B`` all key
    as ``qwen3-5-35b-a3b``.
    """
    if not model or not model.strip():
        return UNKNOWN
    if aliases is None:
        key = model_key(model)
    else:
        resolver = aliases if isinstance(aliases, ModelAliases) else ModelAliases(aliases)
        key = resolver.resolve(model)
    return key or UNKNOWN


def load_aliases(store: Store | None) -> dict[str, str]:
    """The stored aliases as ``{source: target}`` (empty when the store cannot be read)."""
    if store is None:
        return {}
    try:
        return {a.source: a.target for _, a in store.scan(MODEL_ALIASES)}
    except StoreUnavailable:
        return {}


def add_alias(store: Store, source: str, target: str) -> ModelAlias:
    """Store ``source -> target``; refuses an alias that would make a cycle or is empty."""
    if not model_key(source) or not model_key(target):
        raise ValueError("an alias needs two non-empty model ids")
    if model_key(source) == model_key(target):
        raise ValueError(f"{source!r} and {target!r} already normalise to the same key")
    current = load_aliases(store)
    current[source] = target
    resolver = ModelAliases(current)
    if resolver.resolve(target) == model_key(source) or _cyclic(current):
        raise ValueError(f"aliasing {source!r} to {target!r} would make a cycle")
    alias = ModelAlias(source=source, target=target)
    store.put(MODEL_ALIASES, model_key(source), alias)
    return alias


def remove_alias(store: Store, source: str) -> bool:
    return store.delete(MODEL_ALIASES, model_key(source))


def _cyclic(aliases: Mapping[str, str]) -> bool:
    edges = {model_key(k): model_key(v) for k, v in aliases.items()}
    for start, first in edges.items():
        seen = {start}
        key = first
        while key in edges:
            if key in seen:
                return True
            seen.add(key)
            key = edges[key]
    return False


class ModelKeys:
    """Model keys for the request path: aliases reloaded from the store every few seconds.

    Another process (``skvm-shim profiles alias``) may add an alias while this one serves, so the
    table is re-read at most every ``ttl_seconds``; keys are memoised between reloads.
    """

    def __init__(
        self,
        store: Store | None,
        *,
        ttl_seconds: float = _ALIAS_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._resolver = ModelAliases()
        self._keys: dict[str, str] = {}
        if store is not None:
            # Opening a table takes the write lock once: do it now, not on a request.
            with contextlib.suppress(StoreUnavailable):
                store.prepare(MODEL_ALIASES)

    def aliases(self) -> ModelAliases:
        self._refresh()
        return self._resolver

    def key(self, model: str | None) -> str:
        self._refresh()
        raw = model or ""
        key = self._keys.get(raw)
        if key is None:
            key = normalize_model(model, self._resolver)
            with self._lock:
                if len(self._keys) >= _KEY_CACHE:
                    self._keys.clear()
                self._keys[raw] = key
        return key

    def _refresh(self) -> None:
        now = self._clock()
        loaded = self._loaded_at
        if loaded is not None and now - loaded < self._ttl:
            return
        resolver = ModelAliases(load_aliases(self._store))
        with self._lock:
            self._resolver = resolver
            self._keys = {}
            self._loaded_at = now
