"""Ask for parallel tool calls when the served variant has ILP groups (docs/compiler.md).

Pass 3 tells the model, in the variant's hints, to issue independent calls in one turn; on the
OpenAI APIs (Chat Completions and Responses) ``parallel_tool_calls`` is also a request option, so
the shim sets it to ``true`` there, only when the request offers tools and never over a value the
harness set. Anthropic allows parallel tool use unless the harness disabled it, so nothing is
added there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from adapters.ir import WireFormat
from skvm_shim.records import VariantRecord

ATTRIBUTE = "skvm.parallel_tool_calls"
"""Span attribute: ``requested`` (the shim set it), ``harness`` (the harness had set it)."""

_OPTION = "parallel_tool_calls"
_FORMATS = frozenset({WireFormat.CHAT_COMPLETIONS, WireFormat.RESPONSES})

Outcome = Literal["requested", "harness"]


def ask_parallel_tool_calls(
    fmt: WireFormat, body: Mapping[str, Any], variants: Iterable[VariantRecord]
) -> tuple[Mapping[str, Any], Outcome | None]:
    """``body`` with ``parallel_tool_calls: true`` when it applies, and what was done."""
    if fmt not in _FORMATS or not any(v.ilp_groups > 0 for v in variants):
        return body, None
    tools = body.get("tools")
    if not isinstance(tools, list) or not tools:
        return body, None
    if _OPTION in body:
        return body, "harness"
    return {**body, _OPTION: True}, "requested"
