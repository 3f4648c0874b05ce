"""``skvm-shim compile``: compile skills for a model and harness, write and publish the variants.

Every skill is loaded (and every option checked) before anything is compiled, so bad input exits
with code 2 and a message naming the file, and nothing is written. Each variant folder is written
atomically, then the variant is published in one store transaction, only if it passed the guard,
was compiled against a capability profile and changes the text; otherwise the report says why the
original stays served. The one variant id printed is the id the store serves.
Exit status: 0 when nothing failed (a variant or the original is served), 1 when a variant failed
the guard (its folder and report are still written) or could not be written or published, 2 for
bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adapters.harnesses import HARNESS_IDS
from compiler import (
    TCP,
    ProfileLoadError,
    SkillLoadError,
    SkillSource,
    load_skill_dir,
    read_profile_file,
    read_profile_folder,
)
from compiler.llm.client import JsonLlm, make_llm
from skvm_shim.cli.common import echo_json, json_option, state
from skvm_shim.cli.store_access import BadInput, console, open_store
from skvm_shim.compilation.publish import (
    CompileInputError,
    CompileJob,
    CompileOutcome,
    compile_and_publish,
    compile_job,
)
from skvm_shim.profiles_store import ProfileStore


def _passes(_: click.Context, __: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        passes = tuple(sorted({int(p) for p in value.split(",") if p.strip()}))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give pass numbers like 1,2,3") from None
    if not passes or any(p not in (1, 2, 3) for p in passes):
        raise click.BadParameter(f"{value!r}: passes are 1, 2 and 3")
    return passes


@click.command("compile")
@click.argument(
    "skill_dirs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="SKILL_DIR..."
)
@click.option("--model", required=True, help="Target model id (any spelling; aliases apply).")
@click.option(
    "--harness",
    type=click.Choice(HARNESS_IDS),
    default="generic",
    show_default=True,
    help="Target harness (a generic variant serves every harness without its own).",
)
@click.option(
    "--passes",
    default="1,2,3",
    show_default=True,
    callback=_passes,
    help="Passes to run: 1 capability, 2 environment, 3 concurrency.",
)
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(path_type=Path),
    help="Use this profile (a SkVM JSON file or model folder) instead of the stored lookup.",
)
@click.option(
    "--compiler-model",
    metavar="PROVIDER/MODEL",
    help="LLM-backed analysers (openai/<model> or anthropic/<model>); rules otherwise.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Variant folder (with several skills: one subfolder per skill). "
    "Default: $SKVM_HOME/variants/<variant id>.",
)
@json_option
@click.pass_context
def compile_command(
    ctx: click.Context,
    *,
    skill_dirs: tuple[Path, ...],
    model: str,
    harness: str,
    passes: tuple[int, ...],
    profile_path: Path | None,
    compiler_model: str | None,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Compile SKILL_DIR... for --model (and --harness), write each variant and serve it.

    A variant is published only when a capability profile was found (or --profile given) and the
    compiled text differs from the original; otherwise the original stays served and the report
    says why.

    \b
    Exit status: 0 nothing failed (a variant or the original is served); 1 a variant failed the
    guard (written, not served) or could not be written or stored; 2 bad input (the file is
    named, nothing is written).
    """
    sources = _load_all(skill_dirs)
    tcp = _load_profile(profile_path) if profile_path is not None else None
    llm = _make_llm(compiler_model) if compiler_model else None
    settings = state(ctx).settings()
    outs = _out_dirs(out_dir, sources)
    with open_store(ctx) as store:
        profiles = ProfileStore(store)
        try:
            jobs = [
                compile_job(
                    source,
                    model=model,
                    harness=harness,
                    passes=passes,
                    store=store,
                    profiles=profiles,
                    tcp=tcp,
                    compiler_model=compiler_model,
                )
                for source in sources
            ]
        except CompileInputError as exc:
            raise BadInput(str(exc)) from None
        outcomes = _run(
            jobs,
            outs,
            store=store,
            variants_dir=settings.variants_dir,
            llm=llm,
            show_progress=len(jobs) > 1 and not as_json,
        )
    if as_json:
        echo_json([outcome_json(o) for o in outcomes])
    else:
        out = console()
        for outcome in outcomes:
            print_report(out, outcome)
    if not all(o.servable for o in outcomes):
        ctx.exit(1)


def _load_all(paths: tuple[Path, ...]) -> list[SkillSource]:
    sources: list[SkillSource] = []
    problems: list[str] = []
    for path in paths:
        try:
            sources.append(load_skill_dir(path))
        except SkillLoadError as exc:
            problems.append(str(exc))
        except OSError as exc:  # e.g. permission denied on the folder itself
            problems.append(f"{path}: {exc.strerror or exc}")
    if problems:
        raise BadInput("\n".join(problems))
    return sources


def _load_profile(path: Path) -> TCP:
    try:
        return read_profile_folder(path) if path.is_dir() else read_profile_file(path)
    except ProfileLoadError as exc:
        raise BadInput(str(exc)) from None


def _make_llm(compiler_model: str) -> JsonLlm:
    try:
        return make_llm(compiler_model)
    except Exception as exc:  # provider SDK missing, no API key, malformed id
        raise BadInput(f"--compiler-model {compiler_model}: {exc}") from None


def _out_dirs(out_dir: Path | None, sources: list[SkillSource]) -> list[Path | None]:
    if out_dir is None:
        return [None] * len(sources)
    if len(sources) == 1:
        return [out_dir]
    seen: dict[str, int] = {}
    outs: list[Path | None] = []
    for source in sources:
        n = seen.get(source.name, 0) + 1
        seen[source.name] = n
        outs.append(out_dir / (source.name if n == 1 else f"{source.name}-{n}"))
    return outs


def _run(
    jobs: list[CompileJob],
    outs: list[Path | None],
    *,
    store: Any,
    variants_dir: Path,
    llm: JsonLlm | None,
    show_progress: bool,
) -> list[CompileOutcome]:
    def one(job: CompileJob, out: Path | None) -> CompileOutcome:
        return compile_and_publish(
            job, store=store, variants_dir=variants_dir, out_dir=out, llm=llm, origin="cli"
        )

    if not show_progress:
        return [one(job, out) for job, out in zip(jobs, outs, strict=True)]
    results: list[CompileOutcome] = []
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console(err=True), transient=True) as progress:
        task = progress.add_task("compiling", total=len(jobs))
        for job, out in zip(jobs, outs, strict=True):
            progress.update(task, description=f"compiling {job.source.name}")
            results.append(one(job, out))
            progress.advance(task)
    return results


# -- reports --------------------------------------------------------------------------------------


def outcome_json(o: CompileOutcome) -> dict[str, Any]:
    """The JSON form of one compile: the compiler's report plus what the runtime did with it.

    ``variant_id`` is the id the store serves (None when nothing was published: ``reason`` says
    why); ``served`` is that id or ``original``; ``compiled_id`` names the compiled text (the
    folder's report.json), equal to ``variant_id`` when published.
    """
    report = o.result.report()
    report.update(
        {
            "status": o.status,
            "reason": o.reason,
            "variant_id": o.variant_id,
            "compiled_id": o.result.variant.variant_id,
            "served": o.variant_id or "original",
            "folder": str(o.folder) if o.folder is not None else None,
            "skill": {"name": o.job.skill.name, "hash": o.job.skill.hash},
            "model": o.job.model,
            "model_key": o.job.model_key,
            "harness": o.job.harness,
            "profile_match": o.job.profile_kind,
            "edits": [e.model_dump(mode="json") for e in o.result.edits],
            "timings_ms": {**o.result.variant.provenance.timings_ms, **o.timings_ms},
        }
    )
    return report


_STATUS_STYLE = {
    "published": "green",
    "unchanged": "yellow",
    "no-profile": "yellow",
    "not-servable": "red",
    "write-failed": "red",
    "store-failed": "red",
}


def print_report(out: Console, o: CompileOutcome) -> None:
    """A readable report: gaps, transforms, edits with their evidence, guard, timings."""
    v = o.result.variant
    p = v.provenance
    style = _STATUS_STYLE[o.status]
    title = f"[bold]{o.job.skill.name}[/bold]"
    out.rule(f"{title}  {o.variant_id}" if o.variant_id else title)
    out.print(f"[{style}]{o.status}[/{style}]: ", end="")
    out.print(o.reason, markup=False)
    profile = (
        f"{p.profile_model} under {p.profile_harness} ({o.job.profile_kind})"
        if p.profile_id
        else "none (pass 1 skipped)"
    )
    out.print(
        f"model {o.job.model} (key {o.job.model_key}) · harness {o.job.harness} · "
        f"passes {','.join(map(str, p.passes))} · profile {profile}"
    )
    if o.folder is not None:
        out.print(f"folder {o.folder}")
    _gaps_and_transforms(out, o)
    _edits(out, o)
    _environment(out, o)
    if v.parallel_groups:
        out.print(f"[bold]Parallel groups[/bold] ({len(v.parallel_groups)})")
        for g in v.parallel_groups:
            out.print(f"  {g.kind.upper()} {', '.join(g.steps)}: {g.mechanism}")
    guard = p.guard
    verdict = "[green]passed[/green]" if guard.passed else "[red]failed[/red]"
    out.print(
        f"[bold]Guard[/bold] {verdict}: {guard.lines_before} -> {guard.lines_after} lines "
        f"(at most +{guard.max_added_lines})"
    )
    for violation in guard.violations:
        out.print(f"  - {violation}")
    timings = {**p.timings_ms, **o.timings_ms}
    out.print("[bold]Timings[/bold] " + ", ".join(f"{k} {ms:.1f} ms" for k, ms in timings.items()))
    for error in o.result.errors:
        out.print(f"[yellow]note[/yellow]: {error}")
    out.print()


def _gaps_and_transforms(out: Console, o: CompileOutcome) -> None:
    p = o.result.variant.provenance
    if not p.gaps:
        if p.profile_id:
            out.print("[bold]Gaps[/bold] none: the profile meets every requirement")
        return
    transforms = {t.gap_id: t for t in p.transforms}
    table = Table(title=f"Gaps ({len(p.gaps)})", title_justify="left")
    for col in ("primitive", "needs", "has", "purpose", "transform", "why"):
        table.add_column(col)
    for gap in p.gaps:
        t = transforms.get(gap.id)
        table.add_row(
            gap.primitive,
            str(gap.required),
            str(gap.model),
            gap.purpose_id,
            t.kind if t else "-",
            t.reason if t else "",
        )
    out.print(table)
    skipped = o.result.rewrite.skipped if o.result.rewrite is not None else ()
    for s in skipped:
        out.print(f"  skipped {s.gap_id}: {s.reason}")


def _edits(out: Console, o: CompileOutcome) -> None:
    edits = o.result.edits
    explicit = o.result.variant.provenance.explicit
    if explicit is not None:
        out.print("[bold]Explicit path[/bold] ", end="")
        out.print(explicit.reason, markup=False)
        for skipped in explicit.skipped:
            out.print(f"  left as written: {skipped}", markup=False)
    if not edits:
        return
    out.print(f"[bold]Edits[/bold] ({len(edits)})")
    for e in edits:
        a = e.anchor
        flat = " ".join(a.quote.split())
        quote = flat if len(flat) <= 70 else flat[:67] + "..."
        out.print(
            f"  line {e.line} {e.op} [{e.transform} {e.primitive}] "
            f'evidence {a.file}:{a.start_line}-{a.end_line} "{quote}"',
            markup=False,
        )
        out.print(f"    + {e.text}", markup=False)


def _environment(out: Console, o: CompileOutcome) -> None:
    env = o.result.variant.env
    if env is None:
        return
    if not env.dependencies:
        out.print("[bold]Environment[/bold] no dependencies")
        return
    names = ", ".join(f"{d.package} ({d.kind})" for d in env.dependencies)
    out.print(f"[bold]Environment[/bold] {len(env.dependencies)} dependencies: {names}")
    if o.folder is not None:
        out.print("  env-setup.sh written (never run by the compiler)")
    else:
        out.print("  env-setup.sh not written (nothing published; --out FOLDER keeps it)")
