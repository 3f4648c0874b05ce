"""Responses call items the harness executes whose arguments are a JSON object on the wire."""

from __future__ import annotations

from typing import Any

from adapters.ir import ToolKind
from adapters.wire._jsonutil import canonical

__all__ = ["OBJECT_CALLS", "OBJECT_CALL_TYPES", "object_text"]

OBJECT_CALLS: dict[str, tuple[ToolKind, str, str]] = {
    "shell_call": ("shell", "action", "sh_"),
    "local_shell_call": ("local_shell", "action", "lsh_"),
    "apply_patch_call": ("apply_patch", "operation", "apc_"),
}
"""Item type -> (tool name and kind, field holding the object, output item id prefix)."""

OBJECT_CALL_TYPES: dict[str, str] = {v[0]: k for k, v in OBJECT_CALLS.items()}
"""Tool kind -> item type."""


def object_text(value: Any) -> str:
    """The canonical JSON text of an action / operation object ("" when it is not JSON)."""
    try:
        return canonical(value)
    except (TypeError, ValueError, RecursionError):
        return ""
