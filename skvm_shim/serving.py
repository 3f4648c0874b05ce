"""Serve an ASGI app with uvicorn from a background thread, on a socket bound here.

One implementation for every in-process server of the project (the proxy, the scripted upstream
test double, the OTLP receiver): bind first so port 0 resolves before the thread starts, wait until
uvicorn accepts connections, stop by flag then by force, and never leave the socket open.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0


def bind_socket(host: str, port: int, *, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket.

    ``proto`` must be ``IPPROTO_TCP``: asyncio sets ``TCP_NODELAY`` only on accepted sockets
    whose protocol says TCP, and without it small responses wait ~40 ms for delayed ACKs.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


class ThreadedServer:
    """uvicorn running ``config`` in a daemon thread; ``start`` returns once it is serving."""

    def __init__(self, config: uvicorn.Config, *, host: str, port: int, name: str) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.name = name
        self.server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(self.config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"{self.name}:{self.port}",
            daemon=True,
        )
        self.server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} failed to start")
            time.sleep(0.001)

    def stop(self) -> None:
        """Stop serving and release the thread and socket (idempotent)."""
        server, thread, sock = self.server, self._thread, self._socket
        self.server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(STOP_TIMEOUT_S)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(STOP_TIMEOUT_S)
        if sock is not None:
            sock.close()
