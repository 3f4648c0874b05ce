"""``skvm-shim local-model serve``: run the local model server in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from skvm_shim.local_model.server import (
    DEFAULT_HOST,
    DEFAULT_N_CTX,
    DEFAULT_PORT,
    LocalModelError,
    LocalModelUnavailable,
    serve,
)


def run_foreground(
    port: int = DEFAULT_PORT,
    model: Path | None = None,
    host: str = DEFAULT_HOST,
    *,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
) -> int:
    """Serve until SIGINT/SIGTERM or until the server dies; the process exit code."""
    try:
        server = serve(port, model, host, n_ctx=n_ctx, n_threads=n_threads)
    except (LocalModelUnavailable, LocalModelError, ValueError) as exc:
        print(f"skvm-shim local-model: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    with server:
        print(f"Local model {server.model_id} ({server.model_path})")
        print(f"  base URL: {server.base_url}")
        print(f"  model id: {server.model_id}")
        print(f"  e.g. OPENAI_BASE_URL={server.base_url} OPENAI_API_KEY=unused")
        print("Ctrl-C stops it.", flush=True)
        try:
            while not stop.wait(0.5):
                report = server.exit_report()
                if report is not None:
                    print(f"skvm-shim local-model: {report}", file=sys.stderr)
                    return 1
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    print("stopped")
    return 0
