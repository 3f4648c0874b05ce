"""Entry point of the server process: llama-cpp-python's OpenAI-compatible app under uvicorn.

Used instead of ``python -m llama_cpp.server`` because that entry point lets the environment
override what the shim asked for: pydantic-settings fills every unset field from environment
variables (``MODEL``, ``HF_MODEL_REPO_ID`` - which downloads from a model hub -, ``N_CTX``...), and
``HOST``/``PORT``/``CONFIG_FILE`` are read directly. Here the settings come from the command line
only, the hub client is forced offline, and the process exits when its parent goes away so that a
crashed test run does not leave a model server holding a port and a core.
"""

from __future__ import annotations

import argparse
import importlib
import os
import threading
import time
from typing import Any

# Set before llama_cpp (and anything it may pull in) is imported.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


def _init_only(settings_cls: Any) -> Any:
    """A subclass of a pydantic-settings class that reads its init arguments and nothing else."""

    def sources(cls: Any, settings_cls: Any, /, init_settings: Any, **_: Any) -> tuple[Any, ...]:
        return (init_settings,)

    return type(
        settings_cls.__name__,
        (settings_cls,),
        {"settings_customise_sources": classmethod(sources), "__module__": __name__},
    )


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m skvm_shim.local_model._child")
    p.add_argument("--model", required=True)
    p.add_argument("--model-alias", required=True)
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--chat-format", required=True)
    p.add_argument("--n-ctx", type=int, required=True)
    p.add_argument("--n-threads", type=int, default=None)
    p.add_argument("--parent-pid", type=int, default=None)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    os.environ.update(OFFLINE_ENV)
    os.environ.pop("CONFIG_FILE", None)  # create_app() would load its settings instead of ours
    if args.parent_pid is not None:
        threading.Thread(target=_watch_parent, args=(args.parent_pid,), daemon=True).start()

    from skvm_shim.local_model.chat_handler import HANDLER_NAME, register

    chat_format = args.chat_format
    if chat_format == HANDLER_NAME:
        register()
    settings = importlib.import_module("llama_cpp.server.settings")
    app_module = importlib.import_module("llama_cpp.server.app")
    uvicorn = importlib.import_module("uvicorn")

    model_kwargs: dict[str, Any] = {
        "model": args.model,
        "model_alias": args.model_alias,
        "chat_format": chat_format,
        "n_ctx": args.n_ctx,
        "verbose": False,
    }
    if args.n_threads is not None:
        model_kwargs["n_threads"] = args.n_threads
        model_kwargs["n_threads_batch"] = args.n_threads
    model_settings = _init_only(settings.ModelSettings)(**model_kwargs)
    server_settings = _init_only(settings.ServerSettings)(
        host=args.host,
        port=args.port,
        # A new request would otherwise cut a stream in progress; harnesses overlap calls.
        interrupt_requests=False,
    )
    app = app_module.create_app(server_settings=server_settings, model_settings=[model_settings])
    from skvm_shim.local_model.normalize import ChatBodyNormalizer

    uvicorn.run(
        ChatBodyNormalizer(app),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
