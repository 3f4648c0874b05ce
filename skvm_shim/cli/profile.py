"""``skvm-shim profile``: measure a (model, harness) pair on the 26 primitives and write its TCP.

Runs against any OpenAI- or Anthropic-compatible endpoint (the embedded local model when it is
running on its default port and no ``--base-url`` is given), through the bare-agent loop or, with
``--harness pi``, through the pi CLI and the proxy. Resumable: the raw results next to the output
are the checkpoint, and running the same command again continues where it stopped.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from compiler import MONOTONE_RULE, TCP
from skvm_shim.bare_agent import Api
from skvm_shim.cli.common import echo_json, json_option, state
from skvm_shim.cli.store_access import BadInput, console, open_store
from skvm_shim.profiler.assemble import build_profile
from skvm_shim.profiler.endpoint import EndpointError, api_key, make_client, resolve
from skvm_shim.profiler.generators import primitives as known_primitives
from skvm_shim.profiler.generators import select
from skvm_shim.profiler.harness import BareAgentHarness, ProbeHarness
from skvm_shim.profiler.output import default_out, raw_path, write_profile
from skvm_shim.profiler.probe import Generator
from skvm_shim.profiler.results import InstanceRecord, RawResults, RunSettings
from skvm_shim.profiler.runner import RunReport, SettingsMismatch, run_profile

HARNESSES = ("bare-agent", "pi")


@click.command("profile")
@click.option("--model", help="Model id (default: the first model the endpoint lists).")
@click.option(
    "--base-url",
    help="OpenAI base URL (with /v1) or Anthropic base URL (without). Default: the local model"
    " at http://127.0.0.1:8790/v1 when it is running.",
)
@click.option(
    "--api", type=click.Choice(["openai", "anthropic"]), default="openai", show_default=True
)
@click.option("--harness", type=click.Choice(HARNESSES), default="bare-agent", show_default=True)
@click.option(
    "--harness-cli",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The harness CLI to run (--harness pi): pi's executable or its dist/cli.js.",
)
@click.option(
    "--primitives",
    "wanted",
    multiple=True,
    help="Only these primitives (repeatable or comma-separated). Default: all 26.",
)
@click.option(
    "--instances",
    type=click.IntRange(2, 50),
    default=3,
    show_default=True,
    help="Instances per level.",
)
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--max-steps", type=click.IntRange(1, 200), default=25, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(5, 3600),
    default=120.0,
    show_default=True,
    help="Seconds per instance.",
)
@click.option("--temperature", type=float, help="Sampling temperature (default: the endpoint's).")
@click.option("--max-tokens", type=click.IntRange(1), help="Cap on each response.")
@click.option("--api-key-env", metavar="NAME", help="Environment variable holding the API key.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Profile file (default: $SKVM_HOME/profiles/<harness>/<model>/latest.json). Raw results"
    " go next to it.",
)
@click.option(
    "--start-local-model",
    is_flag=True,
    help="Start the embedded local model (SmolLM2-135M) for this run and profile it.",
)
@click.option(
    "--local-python",
    metavar="PYTHON",
    help="Interpreter with the `local` extra to serve the local model (default: this one).",
)
@click.option("--fresh", is_flag=True, help="Discard the raw results of an earlier run.")
@click.option("--no-store", is_flag=True, help="Write the profile file only; do not import it.")
@json_option
@click.pass_context
def profile(
    ctx: click.Context,
    *,
    model: str | None,
    base_url: str | None,
    api: str,
    harness: str,
    harness_cli: Path | None,
    wanted: tuple[str, ...],
    instances: int,
    concurrency: int,
    seed: int,
    max_steps: int,
    timeout: float,
    temperature: float | None,
    max_tokens: int | None,
    api_key_env: str | None,
    out: Path | None,
    start_local_model: bool,
    local_python: str | None,
    fresh: bool,
    no_store: bool,
    as_json: bool,
) -> None:
    """Measure a model through a harness on the 26 primitives (3 levels each) and write its
    Target Capability Profile, stored and importable like the SkVM-data profiles."""
    cli_state = state(ctx)
    cli_state.configure_logging()
    chosen = [p.strip() for item in wanted for p in item.split(",") if p.strip()]
    try:
        generators = select(chosen or None)
    except KeyError as exc:
        raise BadInput(f"{exc.args[0]}; known: {', '.join(known_primitives())}") from None
    wire: Api = "anthropic" if api == "anthropic" else "openai"
    if harness != "bare-agent" and (temperature is not None or max_tokens is not None):
        raise click.UsageError(
            f"{harness} sends its own sampling settings: drop --temperature/--max-tokens"
        )
    with contextlib.ExitStack() as stack:
        if start_local_model:
            if base_url is not None or wire != "openai":
                raise click.UsageError("--start-local-model serves its own OpenAI endpoint")
            base_url = stack.enter_context(_local_model(local_python))
        try:
            base, model_id = resolve(base_url, model, wire)
            key = api_key(wire, base, api_key_env)
        except EndpointError as exc:
            raise click.UsageError(str(exc)) from None
        _profile(
            ctx,
            generators,
            model_id=model_id,
            base=base,
            key=key,
            wire=wire,
            harness=harness,
            harness_cli=harness_cli,
            instances=instances,
            concurrency=concurrency,
            seed=seed,
            max_steps=max_steps,
            timeout=timeout,
            temperature=temperature,
            max_tokens=max_tokens,
            out=out,
            fresh=fresh,
            no_store=no_store,
            as_json=as_json,
        )


@contextlib.contextmanager
def _local_model(python: str | None) -> Iterator[str]:
    from skvm_shim.local_model import LocalModelError, LocalModelUnavailable, serve

    err = console(err=True)
    err.print("Starting the local model ...")
    try:
        server = serve(port=0, python=python)
    except (LocalModelUnavailable, LocalModelError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    with server:
        err.print(f"Local model {server.model_id} at {server.base_url}")
        yield server.base_url


def _profile(
    ctx: click.Context,
    generators: Sequence[Generator],
    *,
    model_id: str,
    base: str,
    key: str,
    wire: Api,
    harness: str,
    harness_cli: Path | None,
    instances: int,
    concurrency: int,
    seed: int,
    max_steps: int,
    timeout: float,
    temperature: float | None,
    max_tokens: int | None,
    out: Path | None,
    fresh: bool,
    no_store: bool,
    as_json: bool,
) -> None:
    cli_state = state(ctx)
    settings = RunSettings(
        model=model_id,
        harness=harness,
        api=wire,
        seed=seed,
        max_steps=max_steps,
        timeout_s=timeout,
        temperature=temperature,
        max_tokens=max_tokens,
    )
    target = out or default_out(cli_state.settings().home / "profiles", harness, model_id)
    raw = RawResults(raw_path(target))
    err = console(err=True)
    err.print(
        f"Profiling [bold]{model_id}[/] through [bold]{harness}[/] at {base}: "
        f"{len(generators)} probes x {instances} instances; raw results {raw.path}"
    )
    with _harness(harness, harness_cli, settings, base, key) as runner:
        try:
            report = _run(
                runner,
                generators=generators,
                raw=raw,
                settings=settings,
                base=base,
                instances=instances,
                concurrency=concurrency,
                fresh=fresh,
            )
        except SettingsMismatch as exc:
            raise click.UsageError(f"{exc}; use --fresh or another --out") from None
    header, records = raw.read()
    assert header is not None
    tcp = build_profile(header, records, raw_name=raw.path.name)
    write_profile(tcp, target)
    stored = None
    if not no_store and not report.interrupted:
        stored = _store(ctx, tcp, target)
    if as_json:
        echo_json(_summary_json(tcp, report, target, raw.path, stored))
    else:
        _print_summary(tcp, report, target, stored)
    if report.interrupted:
        raise click.exceptions.Exit(130)


def _run(
    runner: ProbeHarness,
    *,
    generators: Sequence[Generator],
    raw: RawResults,
    settings: RunSettings,
    base: str,
    instances: int,
    concurrency: int,
    fresh: bool,
) -> RunReport:
    stop = threading.Event()
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    tokens = [0]
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[tally]}"),
        console=console(err=True),
        transient=False,
    )
    task = progress.add_task("planning", total=None, tally="")

    def started(todo: int, reused: int) -> None:
        progress.update(task, total=todo, description=f"probes ({reused} reused)")

    def finished(record: InstanceRecord) -> None:
        counts[record.verdict] += 1
        tokens[0] += record.tokens.input + record.tokens.output
        tally = (
            f"{record.primitive} L{record.level} #{record.instance} {record.verdict} | "
            f"pass {counts['passed']} fail {counts['failed']} skip {counts['skipped']} | "
            f"{tokens[0]:,} tokens"
        )
        progress.update(task, advance=1, tally=tally)

    with progress, _stop_on_sigterm(stop):
        return run_profile(
            generators,
            runner,
            raw,
            settings=settings,
            endpoint=base,
            instances=instances,
            concurrency=concurrency,
            fresh=fresh,
            on_start=started,
            on_record=finished,
            stop=stop,
        )


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM stops like Ctrl-C: running instances finish and are recorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _harness(
    harness: str, harness_cli: Path | None, settings: RunSettings, base: str, key: str
) -> Iterator[ProbeHarness]:
    if harness == "bare-agent":
        from skvm_shim.profiler.checks import probe_env

        client = make_client(settings.api, base, key)
        yield BareAgentHarness(
            client,
            settings.model,
            max_steps=settings.max_steps,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            env=probe_env(),
        )
        return
    from skvm_shim.profiler.cli_harness import CliUnavailable, PiHarness

    try:
        with PiHarness.through_proxy(
            base_url=base,
            api=settings.api,
            model=settings.model,
            key=key,
            cli=harness_cli,
            max_steps=settings.max_steps,
        ) as pi:
            yield pi
    except CliUnavailable as exc:
        raise click.UsageError(str(exc)) from None


def _store(ctx: click.Context, tcp: TCP, target: Path) -> str:
    from skvm_shim.profiles_store import ProfileStore
    from skvm_shim.store import StoreUnavailable

    try:
        with open_store(ctx) as store:
            outcome = ProfileStore(store).import_tcp(tcp, source=str(target))
    except (StoreUnavailable, click.ClickException) as exc:
        message = exc.message if isinstance(exc, click.ClickException) else str(exc)
        return f"not stored: {message}"
    return outcome.status


def _cell(tcp: TCP, primitive: str, level: str) -> str:
    detail = next((d for d in tcp.details if d.primitive_id == primitive), None)
    result = next((r for r in detail.level_results if r.level == level), None) if detail else None
    if result is None:
        return "-"
    skipped = f" ({result.skip_count} skipped)" if result.skip_count else ""
    return f"{result.pass_count}/{result.total_count}{skipped}"


def _print_summary(tcp: TCP, report: RunReport, target: Path, stored: str | None) -> None:
    out = console()
    table = Table(title=f"{tcp.model} through {tcp.harness}", title_justify="left")
    for col in ("primitive", "L1", "L2", "L3", "level"):
        table.add_column(col, justify="left" if col == "primitive" else "right")
    for detail in tcp.details:
        pid = detail.primitive_id
        level = tcp.level(pid)
        table.add_row(
            pid,
            *(_cell(tcp, pid, lv) for lv in ("L1", "L2", "L3")),
            "unmeasured" if level is None else str(level),
        )
    out.print(table)
    tokens = tcp.cost.total_tokens
    extra = tcp.model_extra or {}
    calls = extra.get("profiler", {}).get("llmCalls", 0)
    out.print(
        f"Levels by {MONOTONE_RULE} (passes per level; a level holds at a pooled pass rate"
        " >= 0.75, never above a level that does not)."
    )
    out.print(
        f"This run: {report.ran} instances in {report.wall_s:.0f} s ({report.reused} reused)."
        f" Profile total: {calls} LLM calls, {tokens.input:,} input + {tokens.output:,} output"
        f" tokens, {tcp.cost.duration_ms / 1000:.0f} s of instance time."
    )
    out.print(f"Profile: {target}" + (f" ({'partial' if tcp.is_partial else 'complete'})"))
    if stored is not None:
        out.print(f"Store: {stored}")
    if report.interrupted:
        out.print("Interrupted: run the same command again to continue.")


def _summary_json(
    tcp: TCP, report: RunReport, target: Path, raw: Path, stored: str | None
) -> dict[str, Any]:
    return {
        "model": tcp.model,
        "harness": tcp.harness,
        "profile": str(target),
        "raw_results": str(raw),
        "partial": tcp.is_partial,
        "interrupted": report.interrupted,
        "stored": stored,
        "ran": report.ran,
        "reused": report.reused,
        "wall_s": round(report.wall_s, 1),
        "levels": {p: None if lv is None else str(lv) for p, lv in tcp.effective_levels.items()},
        "tokens": tcp.cost.total_tokens.model_dump(by_alias=True),
        "profile_id": tcp.profile_id,
    }
