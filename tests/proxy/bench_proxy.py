"""Benchmark: what the proxy adds to each LLM call, next to LiteLLM's proxy (not a test).

    python -m tests.proxy.bench_proxy [--seconds 4] [--no-litellm] [--modes saturated,paced]

Three processes besides this one (the load generator): the scripted upstream, ``skvm-shim
proxy`` in front of it, and LiteLLM's proxy pointed at the same upstream when its virtual
environment exists (``--litellm-venv``, default ``/work/venvs/litellm``; create it with
``python3.11 -m venv /work/venvs/litellm && /work/venvs/litellm/bin/pip install
'litellm[proxy]==1.108.7'``). LiteLLM runs with every ``LITELLM_LOCAL_*`` switch on so it
reaches no network, and a master key (it refuses to start without one).

Each cell sends ``POST /v1/chat/completions`` (a 4 KB system prompt) for ``--seconds`` after a
warm-up, from 1 or 32 keep-alive connections in a closed loop, streaming or not, to the upstream
directly and through each proxy. Two upstream timings:

- ``saturated``: the upstream answers at once; the closed loop keeps every core busy, so this
  measures throughput (requests per second) and the latency of a saturated machine.
- ``paced``: the upstream behaves like a (fast) model: 20 ms to the first token, then 20 chunks
  5 ms apart, or 120 ms for a whole non-streamed answer. The cores are not saturated, so the
  added latency is the proxy's own cost per call and per chunk.

Targets are measured in interleaved rounds (direct, skvm-shim, LiteLLM, direct, ...) so that
drift in the machine's state spreads over all of them.

Latency is measured from the request's first byte to the response's last; time to first chunk
(TTFC) to the first body byte. The load generator is a minimal HTTP/1.1 client on asyncio so it
costs as little CPU as possible; it shares the machine's cores with the upstream and the proxies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx2

from tests.bench.stats import p99, table

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LITELLM_VENV = Path(os.environ.get("LITELLM_VENV", "/work/venvs/litellm"))
MODEL = "scripted-model"
ANSWER = "The quick brown fox jumps over the lazy dog. " * 9  # ~400 characters, 20 deltas
SYSTEM = ("You are a careful coding agent. Follow the user's instructions exactly. " * 60)[:4096]
LITELLM_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_TELEMETRY": "False",
}
MODES = {
    "saturated": {"text": ANSWER, "stream_deltas": 20},
    "paced": {"text": ANSWER, "stream_deltas": 20, "delay_ms": 20, "chunk_delay_ms": 5},
}
PACED_JSON_DELAY_MS = 120
THINK_S = {"saturated": 0.0, "paced": 0.05}


# -- processes ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


@contextlib.contextmanager
def _process(
    args: list[str], *, env: dict[str, str], log: IO[str]
) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _upstream_script(path: Path) -> None:
    turns = []
    for mode, fields in MODES.items():
        turns.append(
            {"match": f"MODE={mode};JSON", "repeat": True, "text": ANSWER}
            | ({"delay_ms": PACED_JSON_DELAY_MS} if mode == "paced" else {})
        )
        turns.append({"match": f"MODE={mode};SSE", "repeat": True, **fields})
    path.write_text(json.dumps({"turns": turns}))


def _litellm_config(path: Path, upstream_port: int) -> None:
    path.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL}\n"
        f"      api_base: http://127.0.0.1:{upstream_port}/v1\n"
        "      api_key: sk-bench\n"
    )


# -- load generator -------------------------------------------------------------------------------


class _Conn:
    """One keep-alive HTTP/1.1 connection; just enough protocol for these responses."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        self.writer.close()

    async def post(self, request: bytes) -> tuple[int, float, float]:
        """(status, seconds to the first body byte, seconds to the end of the body)."""
        start = time.perf_counter()
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        first: float | None = None
        if b"transfer-encoding: chunked" in lower:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                await self.reader.readexactly(size + 2)
                if first is None:
                    first = time.perf_counter()
        else:
            marker = lower.index(b"content-length:") + len(b"content-length:")
            remaining = int(lower[marker : lower.index(b"\r\n", marker)])
            while remaining:
                data = await self.reader.read(remaining)
                if not data:
                    raise ConnectionError("connection closed mid-body")
                if first is None:
                    first = time.perf_counter()
                remaining -= len(data)
        end = time.perf_counter()
        return status, (first or end) - start, end - start


@dataclass
class Cell:
    latencies: list[float]
    ttfc: list[float]
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def add(self, other: Cell) -> None:
        self.latencies += other.latencies
        self.ttfc += other.ttfc
        self.errors += other.errors
        self.seconds += other.seconds


def _request(port: int, *, stream: bool, mode: str, auth: str | None) -> bytes:
    marker = f"MODE={mode};{'SSE' if stream else 'JSON'}"
    body = json.dumps(
        {
            "model": MODEL,
            "stream": stream,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"{marker} Summarise the file."},
            ],
        }
    ).encode()
    headers = [
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        f"Authorization: Bearer {auth or 'sk-bench'}",
    ]
    return (
        "POST /v1/chat/completions HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n"
    ).encode() + body


async def _cell(
    port: int, request: bytes, *, clients: int, warmup: float, seconds: float, think: float
) -> Cell:
    """Closed-loop clients; ``think``: a random pause of up to that many seconds between calls.

    The pause keeps paced clients from falling into lockstep (32 answers arriving together
    would measure a queue behind a burst, not the proxy).
    """
    conns = [_Conn(port) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in conns))
    latencies: list[float] = []
    ttfc: list[float] = []
    errors = 0
    begin = time.perf_counter()
    measure_from = begin + warmup
    measure_to = measure_from + seconds

    async def worker(conn: _Conn, rng: random.Random) -> None:
        nonlocal errors
        while True:
            if think:
                await asyncio.sleep(rng.uniform(0, think))
            sent = time.perf_counter()
            if sent >= measure_to:
                return
            status, first, total = await conn.post(request)
            if sent >= measure_from and sent + total <= measure_to:
                if status == 200:
                    latencies.append(total)
                    ttfc.append(first)
                else:
                    errors += 1

    await asyncio.gather(*(worker(c, random.Random(i)) for i, c in enumerate(conns)))
    for conn in conns:
        conn.close()
    return Cell(latencies, ttfc, errors, seconds)


# -- report ---------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value * 1000:.2f}"


def _added(value: float) -> str:
    return f"{value * 1000:+.2f}"


def _machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    extras = [m for m in ("uvloop", "httptools") if _importable(m)]
    return (
        f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}; skvm-shim proxy on uvicorn with"
        f" {' + '.join(extras) if extras else 'asyncio + h11'}; load generator, upstream and"
        " proxies share these cores"
    )


def _row(label: list[object], name: str, cell: Cell, base: Cell) -> list[object]:
    if not cell.latencies:
        return [*label, name, 0, *(["-"] * 7), cell.errors]
    med, tail, first = (
        statistics.median(cell.latencies),
        p99(cell.latencies),
        statistics.median(cell.ttfc),
    )
    added = (
        ["", "", ""]
        if cell is base
        else [
            _added(med - statistics.median(base.latencies)),
            _added(tail - p99(base.latencies)),
            _added(first - statistics.median(base.ttfc)),
        ]
    )
    return [
        *label,
        name,
        len(cell.latencies),
        _ms(med),
        _ms(tail),
        _ms(first),
        f"{cell.rps:.0f}",
        *added,
        cell.errors,
    ]


def _summary(label: list[object], cells: dict[str, Cell]) -> list[object]:
    base = statistics.median(cells["direct"].latencies)
    ours = statistics.median(cells["skvm-shim"].latencies) - base
    if not cells["litellm"].latencies:
        return [*label, _added(ours), "-", "-", "-"]
    theirs = statistics.median(cells["litellm"].latencies) - base
    # A ratio of two differences means nothing when ours is lost in the noise.
    ratio = f"{theirs / ours:.0f}x" if ours > 0.0005 else "(ours within noise)"
    return [
        *label,
        _added(ours),
        _added(theirs),
        ratio,
        f"{cells['skvm-shim'].rps / cells['litellm'].rps:.1f}x",
    ]


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=9.0, help="measured seconds per cell")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per cell")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds per round")
    parser.add_argument("--clients", default="1,32", help="concurrent connections per cell")
    parser.add_argument("--modes", default="saturated,paced", help="upstream timings")
    parser.add_argument("--litellm-venv", type=Path, default=DEFAULT_LITELLM_VENV)
    parser.add_argument("--no-litellm", action="store_true")
    args = parser.parse_args()
    litellm_bin = args.litellm_venv / "bin" / "litellm"
    use_litellm = not args.no_litellm and litellm_bin.exists()
    if not args.no_litellm and not use_litellm:
        print(
            f"LiteLLM skipped: {litellm_bin} not found. Create it with\n"
            f"  python3.11 -m venv {args.litellm_venv} &&"
            f" {args.litellm_venv}/bin/pip install 'litellm[proxy]==1.108.7'"
        )
    work = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    env = {**os.environ, "SKVM_PROXY_TOKEN": ""}
    master_key = "sk-" + secrets.token_hex(24)
    ports = {"upstream": _free_port(), "skvm": _free_port(), "litellm": _free_port()}
    _upstream_script(work / "script.json")
    _litellm_config(work / "litellm.yaml", ports["upstream"])
    with contextlib.ExitStack() as stack:
        log = stack.enter_context((work / "processes.log").open("w"))
        up = stack.enter_context(
            _process(
                [
                    sys.executable,
                    "-m",
                    "skvm_shim.testing.upstream",
                    "--port",
                    str(ports["upstream"]),
                    "--script",
                    str(work / "script.json"),
                    "--max-log",
                    "64",
                ],
                env=env,
                log=log,
            )
        )
        _wait_healthy(f"http://127.0.0.1:{ports['upstream']}/healthz", up)
        skvm_env = env | {
            "SKVM_UPSTREAM_OPENAI": f"http://127.0.0.1:{ports['upstream']}/v1",
            "SKVM_UPSTREAM_ANTHROPIC": f"http://127.0.0.1:{ports['upstream']}",
            "SKVM_HOME": str(work / "skvm-home"),
        }
        skvm = stack.enter_context(
            _process(
                [
                    sys.executable,
                    "-c",
                    "from skvm_shim.cli import main; main()",
                    "proxy",
                    "--port",
                    str(ports["skvm"]),
                    "--skills",
                    str(ROOT / "examples" / "skills"),
                ],
                env=skvm_env,
                log=log,
            )
        )
        _wait_healthy(f"http://127.0.0.1:{ports['skvm']}/healthz", skvm)
        targets = {"direct": ports["upstream"], "skvm-shim": ports["skvm"]}
        if use_litellm:
            lite_env = env | LITELLM_ENV | {"LITELLM_MASTER_KEY": master_key, "HOME": str(work)}
            lite = stack.enter_context(
                _process(
                    [
                        str(litellm_bin),
                        "--config",
                        str(work / "litellm.yaml"),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(ports["litellm"]),
                    ],
                    env=lite_env,
                    log=log,
                )
            )
            _wait_healthy(f"http://127.0.0.1:{ports['litellm']}/health/liveliness", lite)
            targets["litellm"] = ports["litellm"]
        print(_machine())
        rows = []
        summary = []
        for mode in args.modes.split(","):
            for stream in (False, True):
                for clients in (int(c) for c in args.clients.split(",")):
                    cells: dict[str, Cell] = {name: Cell([], [], 0, 0.0) for name in targets}
                    for _ in range(args.rounds):
                        for name, port in targets.items():
                            request = _request(
                                port,
                                stream=stream,
                                mode=mode,
                                auth=master_key if name == "litellm" else None,
                            )
                            cells[name].add(
                                asyncio.run(
                                    _cell(
                                        port,
                                        request,
                                        clients=clients,
                                        warmup=args.warmup,
                                        seconds=args.seconds / args.rounds,
                                        think=THINK_S[mode],
                                    )
                                )
                            )
                    label = [mode, "sse" if stream else "json", clients]
                    rows += [
                        _row(label, name, cell, cells["direct"]) for name, cell in cells.items()
                    ]
                    if "litellm" in cells:
                        summary.append(_summary(label, cells))
                    print(f"  done: {mode} {'sse' if stream else 'json'} x{clients}", flush=True)
        print()
        print(
            table(
                [
                    "timing",
                    "body",
                    "clients",
                    "target",
                    "n",
                    "median ms",
                    "p99 ms",
                    "TTFC ms",
                    "req/s",
                    "added median",
                    "added p99",
                    "added TTFC",
                    "errors",
                ],
                rows,
            )
        )
        if summary:
            print()
            print(
                table(
                    [
                        "timing",
                        "body",
                        "clients",
                        "skvm-shim added",
                        "LiteLLM added",
                        "LiteLLM/skvm added",
                        "skvm/LiteLLM req/s",
                    ],
                    summary,
                )
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
