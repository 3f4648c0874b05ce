"""The header that marks the shim's own LLM calls (compiler model, profiler).

Defined here because the compiler sends such calls; ``skvm_shim`` honours it by never intercepting a
request that carries it.
"""

from __future__ import annotations

INTERNAL_HEADER = "X-Skvm-Internal"
INTERNAL_HEADER_VALUE = "1"
INTERNAL_HEADERS: dict[str, str] = {INTERNAL_HEADER: INTERNAL_HEADER_VALUE}
