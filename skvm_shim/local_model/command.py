"""``skvm-shim local-model serve``: run the local model server in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
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
                if not server.running:
                    print(
                        f"skvm-shim local-model: the server exited:\n{server.log_tail()}",
                        file=sys.stderr,
                    )
                    return 1
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
    print("stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``local-model serve [--port N] [--model PATH] [--host ADDR] [--n-ctx N] [--threads N]``."""
    parser = argparse.ArgumentParser(
        prog="skvm-shim local-model",
        description="SmolLM2-135M-Instruct (or any GGUF) behind an OpenAI-compatible API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve the local model on loopback until Ctrl-C")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument("--model", type=Path, default=None, help="a GGUF file (default: bundled)")
    p.add_argument("--host", default=DEFAULT_HOST, help="a loopback address (default 127.0.0.1)")
    p.add_argument("--n-ctx", type=int, default=DEFAULT_N_CTX, help=f"default {DEFAULT_N_CTX}")
    p.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: its own)")
    args = parser.parse_args(argv)
    return run_foreground(
        args.port, args.model, args.host, n_ctx=args.n_ctx, n_threads=args.threads
    )
