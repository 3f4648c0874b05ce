"""Connecting the compiler to the runtime: harness facts, compile-and-publish, the worker.

``compile_and_publish`` is the one path from a skill to a servable variant, shared by
``skvm-shim compile`` and the background :class:`CompileWorker` that serves the runtime's compile
requests.
"""

from skvm_shim.compilation.attach import attach_compilation
from skvm_shim.compilation.facts import harness_facts
from skvm_shim.compilation.publish import (
    CompileJob,
    CompileOutcome,
    compile_and_publish,
    compile_job,
)
from skvm_shim.compilation.worker import CompileWorker

__all__ = [
    "CompileJob",
    "CompileOutcome",
    "CompileWorker",
    "attach_compilation",
    "compile_and_publish",
    "compile_job",
    "harness_facts",
]
