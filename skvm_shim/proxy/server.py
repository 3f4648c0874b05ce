"""The proxy served by uvicorn: on a background thread (:class:`ProxyServer`) or in the foreground.

uvicorn picks ``uvloop`` and ``httptools`` when they are installed (``loop="auto"``,
``http="auto"``) and falls back to asyncio and h11, so neither is a dependency.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
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

log = logging.getLogger("skvm_shim.proxy")

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0


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


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket.

    ``proto`` must be ``IPPROTO_TCP``: asyncio sets ``TCP_NODELAY`` only on accepted sockets
    whose protocol says TCP, and without it small responses wait ~40 ms for delayed ACKs.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


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
        self._port = port
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
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._closed = False

    def start(self) -> ProxyServer:
        if self._thread is not None:
            raise RuntimeError("ProxyServer is already running")
        if self._closed:
            raise RuntimeError("ProxyServer was stopped; create a new one")
        quiet_upstream_cuts()
        sock = bind_socket(self.host, self._port)
        self._port = sock.getsockname()[1]
        server = uvicorn.Server(server_config(self.app, log_level=self._log_level))
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"skvm-proxy:{self._port}",
            daemon=True,
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("skvm-shim proxy failed to start")
            time.sleep(0.001)
        return self

    def stop(self) -> None:
        """Stop serving, close the upstream pool and (if owned) the runtime; idempotent."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(_STOP_TIMEOUT_S)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(_STOP_TIMEOUT_S)
        if sock is not None:
            sock.close()
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
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the Anthropic base URL; add ``/v1`` for OpenAI clients."""
        return f"http://{connect_host(self.host)}:{self._port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    def task_count(self, timeout: float = 5.0) -> int:
        """Tasks alive on the server's event loop (leak diagnostics).

        An idle proxy has a constant baseline (uvicorn's main and lifespan tasks); every request
        adds tasks only while it is in flight.
        """
        loop = self.app.loop
        if loop is None or self._thread is None:
            raise RuntimeError("ProxyServer is not running")

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1  # without this counting task

        return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout)

    @property
    def open_connections(self) -> int:
        """Client connections the server holds open right now (leak diagnostics)."""
        server = self._server
        return len(server.server_state.connections) if server is not None else 0

    def harness_base_url(self, harness: str) -> str:
        """``http://127.0.0.1:PORT/h/HARNESS``: names the harness explicitly (add ``/v1``)."""
        return f"{self.base_url}/h/{harness}"
