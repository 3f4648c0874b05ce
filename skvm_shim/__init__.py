"""skvm-shim: compile agent skills for each model and harness, at the LLM API boundary.

Call :func:`patch` at harness start-up to wrap the ``openai`` and ``anthropic`` clients in this
process, or run ``skvm-shim proxy`` and point a harness written in any language at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from skvm_shim.shim import Shim, current, patch, unpatch

__all__ = ["Shim", "__version__", "current", "patch", "unpatch"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing a submodule (the CLI, the test double) does not load the SDK patch.
    if name in ("Shim", "current", "patch", "unpatch"):
        from skvm_shim import shim

        return getattr(shim, name)
    raise AttributeError(f"module 'skvm_shim' has no attribute {name!r}")
