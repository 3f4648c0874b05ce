"""JIT code solidification: replay the tool calls models keep repeating, without the model.

The shim records each skill session's tool-call trace from the requests themselves, learns a
template by anti-unification (constant text plus typed slots bound from the task message or an
earlier tool result), checks in shadow mode that it predicts the model exactly, promotes it after
``SKVM_JIT_PROMOTE`` exact sessions, then answers those steps itself through the wire adapters.
The harness runs the replayed calls with its own tools; failed results demote the template.
See docs/jit.md.
"""

from skvm_shim.jit.config import JitConfig
from skvm_shim.jit.replayer import JitReplayer

__all__ = ["JitConfig", "JitReplayer"]
