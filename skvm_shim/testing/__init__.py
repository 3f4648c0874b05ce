"""Test doubles for skvm-shim; the main one is the scripted upstream.

Names are imported lazily so ``python -m skvm_shim.testing.upstream`` does not import its own
module twice (runpy warns when the package already imported it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skvm_shim.testing._state import RecordedRequest
    from skvm_shim.testing.script import ErrorSpec, Script, ToolCall, Turn, Usage
    from skvm_shim.testing.upstream import ScriptedUpstream, StreamCut, create_app

__all__ = [
    "ErrorSpec",
    "RecordedRequest",
    "Script",
    "ScriptedUpstream",
    "StreamCut",
    "ToolCall",
    "Turn",
    "Usage",
    "create_app",
]

_HOMES = {
    "ErrorSpec": "script",
    "Script": "script",
    "ToolCall": "script",
    "Turn": "script",
    "Usage": "script",
    "RecordedRequest": "_state",
    "ScriptedUpstream": "upstream",
    "StreamCut": "upstream",
    "create_app": "upstream",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
