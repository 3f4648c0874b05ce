"""Plugging compilation into a runtime (patch and proxy mode alike)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from skvm_shim.compilation.worker import CompileWorker
from skvm_shim.env_note import EnvNotes
from skvm_shim.records import CompileRequest

if TYPE_CHECKING:
    from skvm_shim.runtime import Runtime

log = logging.getLogger("skvm_shim.compile")


def attach_compilation(runtime: Runtime) -> CompileWorker | None:
    """Serve environment notes, and start the compile worker unless ``SKVM_COMPILE=off`` (or
    the shim is disabled).

    Returns the worker (None when compilation is off or there is no store). Never raises: a
    runtime without a worker still serves what is stored.
    """
    try:
        runtime.pipeline.env_notes = EnvNotes()
        if not runtime.settings.compile or runtime.settings.disabled or runtime.store is None:
            return None
        worker = CompileWorker(
            store=runtime.store,
            registry=runtime.registry,
            variants_dir=runtime.settings.variants_dir,
        )
        previous = runtime.pipeline.on_compile_request

        def submit(request: CompileRequest) -> None:
            if previous is not None:
                previous(request)
            worker.submit(request)

        runtime.pipeline.on_compile_request = submit
        return worker.start()
    except Exception:
        log.warning("skvm-shim: background compilation unavailable", exc_info=True)
        return None
