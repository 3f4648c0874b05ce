"""A scripted OpenAI- and Anthropic-compatible upstream for tests, benchmarks and harness CLIs.

In a test::

    call = ToolCall(name="read", arguments={"path": "a.txt"})
    with ScriptedUpstream("hello", Turn(tool_calls=[call])) as up:
        client = openai.OpenAI(base_url=up.openai_base_url, api_key="x", max_retries=0)
        ...
        assert up.requests[0].headers["authorization"] == "Bearer x"

Give SDK clients ``max_retries=0`` when scripting errors or cuts: by default they retry 429, 5xx
and dropped connections, and each retry consumes the next turn. In process, without sockets:
``httpx2.AsyncClient(transport=httpx2.ASGITransport(up.app))`` (that transport buffers whole
bodies, and a scripted ``abort`` cut reaches the client as :class:`StreamCut`).
From a shell: ``python -m skvm_shim.testing.upstream --port 0 --script turns.json`` prints the
base URL on its first line and serves until interrupted; ``POST /_script``, ``POST /_reset`` and
``GET /_requests`` script and inspect it from other processes.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from skvm_shim.serving import ThreadedServer, bind_socket
from skvm_shim.testing._app import DEFAULT_MODELS, ScriptedApp, StreamCut, silence_scripted_cuts
from skvm_shim.testing._state import RecordedRequest, UpstreamState
from skvm_shim.testing.script import Turn, TurnLike, as_turn, load_script

__all__ = ["RecordedRequest", "ScriptedUpstream", "StreamCut", "create_app", "main"]


def create_app(
    *turns: TurnLike,
    default: TurnLike | None = None,
    models: Sequence[str] = DEFAULT_MODELS,
    max_log: int | None = None,
) -> ScriptedApp:
    """A fresh scripted app (its state is ``app.state``) for in-process use or any ASGI server.

    ``max_log`` keeps only the newest requests in the log (for long benchmarks).
    """
    state = UpstreamState(
        [as_turn(t) for t in turns],
        default=None if default is None else as_turn(default),
        max_log=max_log,
    )
    return ScriptedApp(state, models)


def _server_config(app: ScriptedApp, log_level: str, *, own_logging: bool) -> uvicorn.Config:
    """uvicorn settings; only a process of its own (the CLI) lets uvicorn configure logging."""
    extra: dict[str, Any] = {} if own_logging else {"log_config": None}
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop="asyncio",
        http="h11",
        ws="none",
        # Streams a test leaves half-read must not hold shutdown for long.
        timeout_graceful_shutdown=1,
        **extra,
    )


class ScriptedUpstream:
    """The scripted app served by uvicorn on a background thread (a context manager).

    ``start`` binds the socket itself (so port 0 resolves at once) and returns once uvicorn
    serves it; ``stop`` ends the thread and closes the socket, dropping streams left open
    after a one-second grace.
    """

    def __init__(
        self,
        *turns: TurnLike,
        default: TurnLike | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        max_log: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.app = create_app(*turns, default=default, models=models, max_log=max_log)
        self.host = host
        self._serving = ThreadedServer(
            _server_config(self.app, log_level, own_logging=False),
            host=host,
            port=port,
            name="scripted-upstream",
        )

    # Lifecycle

    def start(self) -> ScriptedUpstream:
        silence_scripted_cuts()
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the thread and socket (idempotent)."""
        self._serving.stop()

    def __enter__(self) -> ScriptedUpstream:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def open_connections(self) -> int:
        """Client connections the server holds open right now (for leak tests)."""
        server = self._serving.server
        return len(server.server_state.connections) if server is not None else 0

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``: what Anthropic clients take (they add ``/v1/messages``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """``http://HOST:PORT/v1``: what OpenAI clients take."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.base_url

    # Script and log

    def script(self, *turns: TurnLike) -> None:
        """Queue turns (a str is a text turn) after those already queued."""
        self.app.state.add([as_turn(t) for t in turns])

    def set_default(self, turn: TurnLike) -> None:
        """The answer when no queued turn accepts a request (until the next ``reset``)."""
        self.app.state.set_default(as_turn(turn))

    def reset(self) -> None:
        """Drop queued turns and the request log; restore the constructor's default turn."""
        self.app.state.reset()

    @property
    def pending(self) -> list[Turn]:
        """Turns still queued (repeat turns stay here)."""
        return self.app.state.pending()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the request log, oldest first."""
        return self.app.state.requests()

    @property
    def last_request(self) -> RecordedRequest:
        log = self.app.state.requests()
        if not log:
            raise LookupError("the scripted upstream has received no request")
        return log[-1]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m skvm_shim.testing.upstream",
        description="Serve a scripted OpenAI/Anthropic-compatible upstream. Prints the base URL.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--script", type=Path, help="JSON: a list of turns or {turns, default}")
    parser.add_argument("--model", action="append", dest="models", help="listed by /v1/models")
    parser.add_argument("--max-log", type=int, help="keep only the newest N logged requests")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback host")
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if not args.allow_remote and not _loopback(args.host):
        print(
            f"refusing to serve on non-loopback host {args.host!r} without --allow-remote",
            file=sys.stderr,
        )
        return 2
    kwargs: dict[str, Any] = {}
    if args.script is not None:
        script = load_script(json.loads(args.script.read_text("utf-8")))
        kwargs["default"] = script.default
        turns: tuple[Turn, ...] = script.turns
    else:
        turns = ()
    app = create_app(*turns, models=args.models or DEFAULT_MODELS, max_log=args.max_log, **kwargs)
    silence_scripted_cuts()
    sock = bind_socket(args.host, args.port, backlog=128)
    host, port = sock.getsockname()[:2]
    print(f"http://{f'[{host}]' if ':' in host else host}:{port}", flush=True)
    try:
        # uvicorn re-raises the signal that stopped it once shut down: SIGTERM ends the process
        # by that signal, SIGINT arrives here as KeyboardInterrupt.
        uvicorn.Server(_server_config(app, args.log_level, own_logging=True)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
