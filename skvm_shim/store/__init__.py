"""The state store: skills, compiled variants, sessions, events, templates and profiles.

One LMDB environment per store directory, shared by threads and processes (the proxy, a harness
with ``patch()`` and the CLI at once). Typed tables hold pydantic models as versioned JSON.
Writes are either synchronous (``put``, ``delete``, ``update``, ``transaction``) or queued for
a background writer (``put_later``, ``append_later``) with read-your-writes in this process.
Faults disable the store and every call then raises :class:`StoreUnavailable`, which callers
catch to pass the LLM call through. The store must never hold secrets: no raw headers, no keys.
"""

from skvm_shim.store._env import NestedWriteError
from skvm_shim.store.check import check_store
from skvm_shim.store.errors import StoreUnavailable
from skvm_shim.store.keys import (
    content_hash,
    join_key,
    key_prefix,
    log_key_time_ns,
    split_key,
)
from skvm_shim.store.store import DEFAULT_MAP_SIZE, DEFAULT_MAX_MAP_SIZE, Store, StoreInfo
from skvm_shim.store.tables import MAX_KEY_BYTES, Table
from skvm_shim.store.transaction import Transaction

__all__ = [
    "DEFAULT_MAP_SIZE",
    "DEFAULT_MAX_MAP_SIZE",
    "MAX_KEY_BYTES",
    "NestedWriteError",
    "Store",
    "StoreInfo",
    "StoreUnavailable",
    "Table",
    "Transaction",
    "check_store",
    "content_hash",
    "join_key",
    "key_prefix",
    "log_key_time_ns",
    "split_key",
]
