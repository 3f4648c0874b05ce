"""``skvm-shim local-model``: a real model on this machine, no API key (SmolLM2 via llama.cpp)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("local-model")
def local_model() -> None:
    """The embedded local model (needs `pip install 'skvm-shim[local]'`)."""


@local_model.command("serve")
@click.option("--port", type=int, default=8790, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--model",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Any GGUF file (default: the bundled SmolLM2-135M-Instruct).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--n-ctx", type=int, default=8192, show_default=True, help="Context length.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="llama.cpp threads for generation and prompt (default: llama.cpp's own choice).",
)
def serve(port: int, model: Path | None, host: str, n_ctx: int, threads: int | None) -> None:
    """Serve an OpenAI-compatible endpoint with tool calling, until Ctrl-C."""
    from skvm_shim.local_model.command import run_foreground

    raise SystemExit(
        run_foreground(port=port, model=model, host=host, n_ctx=n_ctx, n_threads=threads)
    )
