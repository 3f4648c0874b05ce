"""parallel_tool_calls is asked for when the served variant has ILP groups, never overridden."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.ir import WireFormat
from skvm_shim.parallel_calls import ask_parallel_tool_calls
from skvm_shim.records import VariantRecord

TOOLS = [{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}]


def _variant(ilp: int) -> VariantRecord:
    return VariantRecord(
        id="v-x", skill_hash="h", skill_name="s", text="t", model="m", harness="generic",
        ilp_groups=ilp,
    )  # fmt: skip


@pytest.mark.parametrize("fmt", [WireFormat.CHAT_COMPLETIONS, WireFormat.RESPONSES])
def test_requested_on_openai_apis_with_tools(fmt: WireFormat) -> None:
    body: dict[str, Any] = {"model": "m", "tools": TOOLS}
    new, outcome = ask_parallel_tool_calls(fmt, body, [_variant(1)])
    assert outcome == "requested"
    assert new["parallel_tool_calls"] is True
    assert "parallel_tool_calls" not in body  # the caller's body is not mutated


@pytest.mark.parametrize("value", [False, True])
def test_a_value_the_harness_set_is_kept(value: bool) -> None:
    body = {"model": "m", "tools": TOOLS, "parallel_tool_calls": value}
    new, outcome = ask_parallel_tool_calls(WireFormat.CHAT_COMPLETIONS, body, [_variant(2)])
    assert outcome == "harness"
    assert new is body


@pytest.mark.parametrize(
    ("fmt", "body", "ilp"),
    [
        (WireFormat.CHAT_COMPLETIONS, {"model": "m"}, 1),  # no tools
        (WireFormat.CHAT_COMPLETIONS, {"model": "m", "tools": []}, 1),
        (WireFormat.CHAT_COMPLETIONS, {"model": "m", "tools": TOOLS}, 0),  # no ILP
        (WireFormat.ANTHROPIC_MESSAGES, {"model": "m", "tools": TOOLS}, 1),  # no such option
    ],
)
def test_not_requested(fmt: WireFormat, body: dict[str, Any], ilp: int) -> None:
    new, outcome = ask_parallel_tool_calls(fmt, body, [_variant(ilp)])
    assert outcome is None
    assert new is body
