"""The demo, start to end: compile the skill for the model, run the tasks, then the second act.

First act: the example harness (``examples/agent_loop.py`` under ``skvm_shim.patch()``) runs
generated tasks for several rounds against the model, at temperature 0, with the skill compiled
for the model from its measured profile. Templates learn, shadow-verify and promote only if the
model is consistent; the output says which happened.

Second act (local model only): the scripted upstream, announced as a stand-in, plays a capable
model until a template promotes (templates are keyed by skill, harness and tool schema, not by
model); then the local model runs the same kind of tasks and the shim answers the steps the
template covers.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape

import skvm_shim
from skvm_shim.config import Settings
from skvm_shim.demo.assets import SKILL_NAME, Assets, DemoError, find_assets, load_agent_loop
from skvm_shim.demo.backends import (
    SCRIPTED_DELAY_MS,
    STAND_IN_MODEL,
    Backend,
    local_backend,
    local_unavailable,
    scripted_backend,
)
from skvm_shim.demo.harness import Session, run_session
from skvm_shim.demo.render import DemoView
from skvm_shim.demo.spans import SpanLog, attrs, jit_events, make_provider, strings
from skvm_shim.demo.summary import (
    DemoSummary,
    Rate,
    RoundSummary,
    SkillInfo,
    TemplateInfo,
    Transfer,
    VariantInfo,
)
from skvm_shim.demo.tasks import Task, make_tasks
from skvm_shim.demo.variant import compile_variant
from skvm_shim.local_model import BUNDLED_MODEL_ID, LocalModelError
from skvm_shim.shim import Shim
from skvm_shim.skills.model import Skill
from skvm_shim.telemetry import semconv

TEMPERATURE = 0.0
MAX_TOKENS = 256
"""Per answer: a tool call or a one-sentence answer takes a few dozen tokens; a small model that
rambles inside a tool call's arguments would otherwise run to the server's cap (1024 tokens, about
a minute on two cores)."""
BackendChoice = Literal["auto", "local", "scripted"]
STAND_IN = "scripted stand-in"
_TEACHER_OFFSET = 100
_STUDENT_OFFSET = 200


@dataclass(frozen=True, slots=True)
class DemoOptions:
    backend: BackendChoice = "auto"
    rounds: int = 3
    tasks: int = 3
    max_steps: int = 6
    teacher_sessions: int = 8
    """At most this many stand-in sessions in the second act (it stops once a template promotes)."""
    seed: int = 11
    otlp_endpoint: str | None = None
    scripted_delay_ms: float = SCRIPTED_DELAY_MS


@dataclass(slots=True)
class _Act:
    sessions: list[Session] = field(default_factory=list)
    rounds: list[RoundSummary] = field(default_factory=list)
    templates: list[TemplateInfo] = field(default_factory=list)
    note: str = ""


@dataclass(slots=True)
class _Run:
    """What every session of the run shares."""

    options: DemoOptions
    assets: Assets
    agent_loop: ModuleType
    openai: ModuleType
    view: DemoView
    spans: SpanLog
    provider: Any
    root: Path
    promote_after: int

    @contextlib.contextmanager
    def patched(self, name: str) -> Iterator[Shim]:
        """The shim for one act, with a store of its own under the demo's temporary folder."""
        shim = skvm_shim.patch(
            skills=[self.assets.skills], home=self.root / name, tracer_provider=self.provider
        )
        try:
            yield shim
        finally:
            skvm_shim.unpatch()

    def session(self, backend: Backend, client: Any, task: Task, label: str) -> Session:
        backend.prepare(task)
        self.view.session_start(label, task.text, task.lines)
        session = run_session(
            self.agent_loop,
            client,
            model=backend.model,
            task=task,
            speaker=backend.speaker,
            skills_dir=self.assets.skills,
            skill_name=SKILL_NAME,
            max_steps=self.options.max_steps,
            temperature=TEMPERATURE,
            max_tokens=MAX_TOKENS,
            spans=self.spans,
            view=self.view,
            parent=self.root,
        )
        self.view.session_end(session)
        return session

    def client(self, backend: Backend) -> Any:
        return self.openai.OpenAI(base_url=backend.base_url, api_key="unused", max_retries=0)


def run_demo(
    options: DemoOptions, console: Console, *, assets: Assets | None = None
) -> DemoSummary:
    """Run the whole demo, printing as it goes; returns the summary (``--json``)."""
    assets = assets or find_assets()
    openai = _import_openai()
    if skvm_shim.current() is not None:
        raise DemoError(
            "skvm_shim.patch() is already active in this process; the demo needs its own"
        )
    try:
        from skvm_shim.jit import JitConfig

        promote_after = JitConfig.from_env().promote_after
        settings = Settings.from_env()
    except ValueError as exc:
        raise DemoError(str(exc)) from None
    unavailable = local_unavailable()
    kind = _choose(options.backend, unavailable)
    spans = SpanLog()
    provider, endpoint = make_provider(spans, options.otlp_endpoint)
    view = DemoView(console, promote_after=promote_after)
    agent_loop = load_agent_loop(assets.agent_loop)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="skvm-demo-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            run = _Run(
                options, assets, agent_loop, openai, view, spans, provider, Path(tmp), promote_after
            )
            _intro(
                view,
                kind=kind,
                unavailable=unavailable,
                settings=settings,
                promote_after=promote_after,
                endpoint=endpoint,
                options=options,
            )
            if kind == "local-model":
                try:
                    backend = stack.enter_context(local_backend(console))
                except LocalModelError as exc:
                    raise DemoError(f"the local model did not start: {exc}") from None
                console.print(
                    f"local model {backend.model} ready at {backend.base_url} "
                    f"(started in {backend.started_s:.1f} s)"
                )
            else:
                backend = stack.enter_context(
                    scripted_backend(
                        BUNDLED_MODEL_ID, "scripted", delay_ms=options.scripted_delay_ms
                    )
                )
            transfer, note = None, ""
            try:
                first, variant, skill = _first_act(run, backend)
                if backend.kind == "local-model":
                    transfer = _second_act(run, backend, first)
            except openai.APIError as exc:
                raise DemoError(backend.failure(exc)) from None
            if backend.kind != "local-model":
                why = (
                    f"the local model is not installed here ({unavailable})"
                    if unavailable
                    else "--backend scripted was asked for"
                )
                note = (
                    "Second act skipped: it runs the real local model on templates a stand-in "
                    f"taught, and {why}."
                )
    finally:
        provider.shutdown()  # flushes the OTLP export, if any
    summary = _summary(
        kind=kind,
        backend=backend,
        first=first,
        variant=variant,
        skill=skill,
        transfer=transfer,
        note=note,
        spans=spans,
        promote_after=promote_after,
    )
    view.heading("Per round")
    view.rounds(f"First act: {backend.speaker} answering", first.rounds)
    if transfer is not None:
        view.rounds(
            "Second act: a stand-in teaches, then the local model inherits",
            [transfer.teacher_round, transfer.student_round],
        )
    view.legend()
    if transfer is not None:
        console.print(
            f"[dim]teach: the {STAND_IN}'s sessions (not {backend.speaker}'s). inherit: "
            f"{backend.speaker} with the promoted template; its saved s counts "
            f"{backend.speaker}'s median turn in the first act per replayed step.[/]"
        )
    view.summary(summary)
    return summary


def _import_openai() -> ModuleType:
    try:
        import openai
    except ImportError:
        raise DemoError(
            "the demo's harness runs on the openai SDK: pip install 'skvm-shim[openai]'"
        ) from None
    return openai


def _choose(choice: BackendChoice, unavailable: str | None) -> Literal["local-model", "scripted"]:
    if choice == "scripted":
        return "scripted"
    if unavailable is None:
        return "local-model"
    if choice == "local":
        raise DemoError(f"--backend local: {unavailable}")
    return "scripted"


def _intro(
    view: DemoView,
    *,
    kind: str,
    unavailable: str | None,
    settings: Settings,
    promote_after: int,
    endpoint: str | None,
    options: DemoOptions,
) -> None:
    view.heading(
        "skvm-shim demo",
        "An agent loop (examples/agent_loop.py, openai SDK, skvm_shim.patch()) runs the "
        f"{SKILL_NAME} skill on generated tasks at temperature {TEMPERATURE:g}, with tool-call "
        f"arguments constrained to their JSON schemas and answers capped at {MAX_TOKENS} "
        f"tokens; at most {options.max_steps} model turns "
        f"per task; {options.rounds} round(s) of {options.tasks} task(s). A template replays "
        f"once it predicted the model exactly {promote_after} sessions in a row.",
    )
    view.console.print(f"machine: {machine()}")
    if endpoint:
        view.console.print(f"spans exported by OTLP/HTTP to {endpoint}")
    if settings.disabled:
        view.warn("SKVM_DISABLE is set: the shim is off, so this run shows the model alone.")
    if settings.jit != "on":
        effect = "never replay" if settings.jit == "shadow" else "are off"
        view.warn(f"SKVM_JIT={settings.jit}: templates {effect}.")
    if kind == "scripted":
        reason = (
            f"The local model is not installed ({escape(unavailable)})."
            if unavailable
            else "--backend scripted was asked for."
        )
        view.warn(
            f"[bold]BACKEND: SCRIPTED.[/] {reason}\nEvery model answer below comes from the "
            "scripted upstream, a TEST DOUBLE playing a capable, consistent model with answers "
            f"written in advance (each waits {options.scripted_delay_ms:g} ms, a delay the demo "
            "chose). Requests still name the local model, so the shim serves what it would serve "
            "it. Nothing here measures a model. For the real one: "
            + escape("CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install -e '.[local,openai]'")
        )


def machine() -> str:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    return f"{platform.machine()}, {os.cpu_count()} cores, {cpu or 'unknown CPU'}"


# -- the first act -------------------------------------------------------------------------------


def _first_act(run: _Run, backend: Backend) -> tuple[_Act, VariantInfo, SkillInfo]:
    act = _Act()
    with run.patched("act1") as shim:
        variant = compile_variant(shim, run.assets, backend.model)
        run.view.variant(variant, SKILL_NAME, backend.model)
        run.view.heading(
            f"First act: {backend.speaker} does the tasks",
            "Each task: one fresh work directory with one file; the demo grades the answer.",
        )
        with run.client(backend) as client:
            n = run.options.tasks
            for r in range(1, run.options.rounds + 1):
                tasks = make_tasks(n, seed=run.options.seed + r, start=(r - 1) * n)
                sessions = [
                    run.session(backend, client, task, f"round {r} · task {i}/{n}:")
                    for i, task in enumerate(tasks, 1)
                ]
                act.sessions += sessions
                act.rounds.append(_round(r, backend.speaker, sessions))
        act.templates = _templates(shim)
        act.note = _learning_note(act, run.promote_after, run.options.max_steps)
        run.view.heading("What the shim learned")
        run.view.templates(act.templates, act.note)
    skill = Skill.parse(run.assets.skill_md.read_text(encoding="utf-8"))
    detected = sum(
        1
        for s in act.sessions
        for t in s.turns
        if any(d.startswith(f"{SKILL_NAME}@") for d in strings(t.span.get(semconv.SKILLS_DETECTED)))
    )
    if variant.id is not None:
        served = sum(
            1
            for s in act.sessions
            for t in s.turns
            if t.span.get(semconv.REWRITTEN)
            and variant.id in strings(t.span.get(semconv.VARIANT_IDS))
        )
        variant = variant.model_copy(update={"served": served > 0, "served_calls": served})
    info = SkillInfo(
        name=SKILL_NAME, hash=skill.hash, detected=detected > 0, detected_calls=detected
    )
    return act, variant, info


def _round(
    number: int | str, who: str, sessions: Sequence[Session], *, model_turn_s: float | None = None
) -> RoundSummary:
    """One row of the table. Time saved per replayed step: what the model took at that step in
    the traces the template learned from, or ``model_turn_s`` when another model taught it."""
    saved = 0.0
    for s in sessions:
        for t in s.turns:
            if t.synthetic:
                if model_turn_s is None:
                    before = float(t.span.get(semconv.JIT_MODEL_LATENCY) or 0.0) / 1000
                else:
                    before = model_turn_s
                saved += max(0.0, before - t.seconds)
    return RoundSummary(
        round=number,
        who=who,
        tasks=len(sessions),
        model_calls=sum(s.model_calls for s in sessions),
        replayed_steps=sum(s.replayed for s in sessions),
        tokens=sum(s.tokens for s in sessions),
        wall_s=round(sum(s.seconds for s in sessions), 3),
        time_saved_s=round(saved, 3),
        completed=sum(s.grade.completed for s in sessions),
        correct=sum(s.grade.correct for s in sessions),
    )


def _templates(shim: Shim) -> list[TemplateInfo]:
    from skvm_shim.jit.admin import all_templates, summary

    flush = getattr(shim.replayer, "flush", None)
    if callable(flush):
        with contextlib.suppress(Exception):
            flush(5.0)  # counted replays are written behind
    if shim.store is None:
        return []
    out = []
    for stored in all_templates(shim.store):
        s = summary(shim.store, stored)
        out.append(
            TemplateInfo(
                id=s["id"],
                state=s["state"],
                sessions=s["sessions"],
                hits=s["hits"],
                misses=s["misses"],
                streak=s["streak"],
                replays=s["replays"],
                steps=s["steps"],
                final_replayable=s["final_replayable"],
            )
        )
    return out


def _learning_note(act: _Act, promote_after: int, max_steps: int) -> str:
    promoted = [t for t in act.templates if t.state == "promoted"]
    replayed = sum(s.replayed for s in act.sessions)
    if promoted:
        return (
            f"{len(promoted)} template(s) promoted after {promote_after} exact sessions in a "
            f"row; the shim then answered {replayed} step(s) without calling the model."
        )
    finished = sum(s.grade.completed for s in act.sessions)
    if not any(t.span for s in act.sessions for t in s.turns):
        return (
            "The shim saw none of the calls (it is off: SKVM_DISABLE is set, or it could not "
            "start), so it neither learned nor replayed anything."
        )
    if not act.templates:
        if finished == 0:
            return (
                f"No template: the model never ended a task with an answer within {max_steps} "
                "turns (it kept calling tools), so no session gave a complete trace to learn from. "
                "The shim replays only what a model does consistently; this model did not finish."
            )
        return (
            f"No template: {finished} session(s) ended with an answer but none gave a trace the "
            "shim could learn (a skill task ending in tool calls)."
        )
    best = max(t.streak for t in act.templates)
    misses = sum(t.misses for t in act.templates)
    if misses == 0:
        return (
            f"No template promoted yet: {len(act.templates)} learned, best streak {best} of the "
            f"{promote_after} exact sessions needed, no misprediction so far. More sessions "
            "(--rounds) would tell."
        )
    return (
        f"The model was too inconsistent to promote a template: {len(act.templates)} learned, "
        f"best streak {best} of the {promote_after} exact sessions needed, {misses} "
        "misprediction(s) (the same kind of task, answered differently). Nothing was replayed."
    )


# -- the second act ------------------------------------------------------------------------------


def _second_act(run: _Run, local: Backend, first: _Act) -> Transfer:
    run.view.heading(
        "Second act: what a weak model inherits",
        "Templates are keyed by skill, harness and tool schema, not by model. A capable model "
        "teaches the shim the task; then the local model runs the same kind of tasks, and the "
        "shim answers the steps the template covers.",
    )
    with run.patched("act2") as shim:
        compile_variant(shim, run.assets, local.model)  # the same variant as in the first act
        with scripted_backend(
            STAND_IN_MODEL, "stand-in", delay_ms=run.options.scripted_delay_ms
        ) as teacher:
            run.view.warn(
                f"The teacher is the [bold]{STAND_IN}[/]: the scripted upstream (a test double), "
                f"model name {STAND_IN_MODEL!r}, answering as a capable model would. Its turns "
                "are labelled 'stand-in'; none of them is the local model's."
            )
            taught: list[Session] = []
            with run.client(teacher) as client:
                for i in range(run.options.teacher_sessions):
                    task = make_tasks(1, seed=run.options.seed + _TEACHER_OFFSET + i, start=i + 24)[
                        0
                    ]
                    taught.append(run.session(teacher, client, task, f"stand-in · lesson {i + 1}:"))
                    if any(t.state == "promoted" for t in _templates(shim)):
                        break
        promoted = any(t.state == "promoted" for t in _templates(shim))
        run.view.console.print(
            "[bold green]A template is promoted: from now on the shim answers its steps.[/]"
            if promoted
            else f"[red]No template promoted after {len(taught)} stand-in sessions.[/]"
        )
        run.view.heading(f"{local.speaker} with the inherited template")
        n = run.options.tasks
        tasks = make_tasks(n, seed=run.options.seed + _STUDENT_OFFSET, start=48)
        own_turn_s = _median_turn(first.sessions)
        run.view.taught_by, run.view.model_turn_s = STAND_IN, own_turn_s
        try:
            with run.client(local) as client:
                students = [
                    run.session(local, client, task, f"{local.speaker} · task {i}/{n}:")
                    for i, task in enumerate(tasks, 1)
                ]
        finally:
            run.view.taught_by = run.view.model_turn_s = None
    alone = [s for s in first.sessions if s.replayed == 0]
    return Transfer(
        before=_rate(alone),
        after=_rate(students),
        replayed_steps=sum(s.replayed for s in students),
        model_calls=sum(s.model_calls for s in students),
        teacher_sessions=len(taught),
        promoted=promoted,
        teacher_round=_round("teach (stand-in)", STAND_IN, taught),
        student_round=_round(
            f"inherit ({local.speaker})",
            f"{local.speaker} + templates",
            students,
            model_turn_s=own_turn_s or 0.0,
        ),
    )


def _median_turn(sessions: Sequence[Session]) -> float | None:
    """The model's median turn (seconds) where it answered itself."""
    seconds = [t.seconds for s in sessions for t in s.turns if not t.synthetic]
    return statistics.median(seconds) if seconds else None


def _rate(sessions: Sequence[Session]) -> Rate:
    return Rate(
        correct=sum(s.grade.correct for s in sessions),
        completed=sum(s.grade.completed for s in sessions),
        tasks=len(sessions),
    )


# -- the summary ---------------------------------------------------------------------------------


def _summary(
    *,
    kind: Literal["local-model", "scripted"],
    backend: Backend,
    first: _Act,
    variant: VariantInfo,
    skill: SkillInfo,
    transfer: Transfer | None,
    note: str,
    spans: SpanLog,
    promote_after: int,
) -> DemoSummary:
    llm = spans.llm()
    synthetic = sum(1 for s in llm if attrs(s).get(semconv.SYNTHETIC))
    promotions = sum(1 for s in llm for name, _ in jit_events(s) if name == "promoted")
    backend_note = (
        "answers from the embedded local model (llama.cpp)"
        if kind == "local-model"
        else "answers from the scripted upstream, a test double: the local model is not installed"
    )
    return DemoSummary(
        backend=kind,
        backend_note=backend_note,
        model=backend.model,
        machine=machine(),
        skill=skill,
        variant=variant,
        rounds=first.rounds,
        completion=_rate([s for s in first.sessions if s.replayed == 0]),
        promote_after=promote_after,
        templates=first.templates,
        promotions=sum(1 for t in first.templates if t.state == "promoted"),
        learning_note=first.note,
        teacher=STAND_IN if transfer is not None else None,
        transfer=transfer,
        second_act_note=note,
        spans={"llm_calls": len(llm), "synthetic": synthetic, "promotions": promotions},
    )
