"""The proxy served by uvicorn: on a background thread (:class:`ProxyServer`) or in the foreground.

uvicorn picks ``uvloop`` and ``httptools`` when they are installed (``loop="auto"``,
``http="auto"``) and falls back to asyncio and h11, so neither is a dependency.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from opentelemetry.sdk.trace import TracerProvider

from skvm_shim.config import Settings
from skvm_shim.proxy.app import MAX_BODY, ProxyApp
from skvm_shim.proxy.auth import check_bind
from skvm_shim.proxy.forward import DEFAULT_TIMEOUT_S, UpstreamCut
from skvm_shim.runtime import Runtime, SkillLike
from skvm_shim.serving import ThreadedServer

log = logging.getLogger("skvm_shim.proxy")


class _CutFilter(logging.Filter):
    """Replaces uvicorn's traceback for an upstream cut (expected, relayed) by one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BaseExceptionGroup):
            cut = all(isinstance(e, UpstreamCut) for e in error.exceptions)
        else:
            cut = isinstance(error, UpstreamCut)
        if cut:
            log.warning("skvm-shim proxy: %s; closed the client connection too", error)
        return not cut


_CUT_FILTER = _CutFilter()


def quiet_upstream_cuts() -> None:
    """Install the filter on uvicorn's error logger (idempotent; logging is process-wide)."""
    logger = logging.getLogger("uvicorn.error")
    if _CUT_FILTER not in logger.filters:
        logger.addFilter(_CUT_FILTER)


def server_config(
    app: ProxyApp,
    *,
    log_level: str = "warning",
    access_log: bool = False,
    own_logging: bool = False,
    loop: str = "auto",
    http: str = "auto",
) -> uvicorn.Config:
    """uvicorn settings for the proxy.

    No ``server``/``date`` headers of uvicorn's own: the upstream's pass through. Only a process
    of its own (the CLI) lets uvicorn configure logging.
    """
    extra: dict[str, Any] = {} if own_logging else {"log_config": None}
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        loop=loop,
        http=http,
        ws="none",
        server_header=False,
        date_header=False,
        proxy_headers=False,  # the client address is not used; skip X-Forwarded-For parsing
        timeout_graceful_shutdown=2,
        **extra,
    )


def connect_host(host: str) -> str:
    """The address a local client uses to reach a server bound to ``host``."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - mapping a wildcard bind to loopback, not binding
        return "127.0.0.1"
    if host in ("::", "[::]"):
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class ProxyServer:
    """``skvm-shim proxy`` on a background thread: a context manager, or ``start()``/``stop()``.

    Without ``runtime`` it builds one from the environment's settings (``home`` overriding
    ``SKVM_HOME``) and ``skills``, and closes it on :meth:`stop`; a runtime passed in stays the
    caller's. A host other than loopback needs ``allow_remote=True`` and a ``token``.
    """

    def __init__(
        self,
        *,
        upstream_openai: str,
        upstream_anthropic: str,
        home: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        runtime: Runtime | None = None,
        tracer_provider: TracerProvider | None = None,
        token: str | None = None,
        allow_remote: bool = False,
        skills: Iterable[SkillLike] = (),
        max_body: int = MAX_BODY,
        upstream_timeout: float = DEFAULT_TIMEOUT_S,
        log_level: str = "warning",
    ) -> None:
        check_bind(host, allow_remote=allow_remote, token=token)
        self.host = host
        self._owns_runtime = runtime is None
        if runtime is None:
            settings = Settings.from_env()
            if home is not None:
                settings = settings.model_copy(update={"home": Path(home)})
            runtime = Runtime(settings, skills=skills, tracer_provider=tracer_provider)
        elif skills:
            runtime.add_skills(skills)
        self.runtime = runtime
        self.app = ProxyApp(
            runtime,
            upstream_openai=upstream_openai,
            upstream_anthropic=upstream_anthropic,
            token=token,
            max_body=max_body,
            upstream_timeout=upstream_timeout,
        )
        self._serving = ThreadedServer(
            server_config(self.app, log_level=log_level), host=host, port=port, name="skvm-proxy"
        )
        self._closed = False

    def start(self) -> ProxyServer:
        if self._closed:
            raise RuntimeError("ProxyServer was stopped; create a new one")
        quiet_upstream_cuts()
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the upstream pool and (if owned) the runtime; idempotent."""
        self._serving.stop()
        if not self._closed:
            self._closed = True
            if self._owns_runtime:
                self.runtime.close()

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the Anthropic base URL; add ``/v1`` for OpenAI clients."""
        return f"http://{connect_host(self.host)}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    def task_count(self, timeout: float = 5.0) -> int:
        """Tasks alive on the server's event loop (leak diagnostics).

        An idle proxy has a constant baseline (uvicorn's main and lifespan tasks); every request
        adds tasks only while it is in flight.
        """
        loop = self.app.loop
        if loop is None or not self._serving.running:
            raise RuntimeError("ProxyServer is not running")

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1  # without this counting task

        return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout)

    @property
    def open_connections(self) -> int:
        """Client connections the server holds open right now (leak diagnostics)."""
        server = self._serving.server
        return len(server.server_state.connections) if server is not None else 0

    def harness_base_url(self, harness: str) -> str:
        """``http://127.0.0.1:PORT/h/HARNESS``: names the harness explicitly (add ``/v1``)."""
        return f"{self.base_url}/h/{harness}"
