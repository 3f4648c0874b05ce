"""What the demo prints (rich): the turns as they happen, then the tables.

Turns are labelled by who answered: the model (by name), the scripted upstream when it stands in,
or ``shim`` for a step the shim replayed without calling anyone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from skvm_shim.demo.harness import Session, Turn, TurnView
from skvm_shim.demo.summary import DemoSummary, RoundSummary, TemplateInfo, VariantInfo
from skvm_shim.telemetry import semconv

_ARG_CHARS = 80
_DIFF_LINES = 24
_EVENT_TEXT = {
    "learned": "learned from this session (shadow: it must now predict the model exactly)",
    "relearned": "relearned with this session",
    "hit": "predicted the model exactly",
    "missed": "mispredicted: the model answered otherwise, the streak restarts",
    "promoted": "PROMOTED: it predicted the model exactly {n} sessions in a row; it replays now",
    "replay_failed": "a replayed step failed; the model takes over",
    "demoted": "demoted back to shadow",
}


def short_args(raw: str) -> str:
    """Tool-call arguments on one line: a lone string argument shown bare."""
    try:
        value = json.loads(raw)
    except (ValueError, TypeError):
        value = None
    text = raw
    if isinstance(value, dict) and len(value) == 1:
        only = next(iter(value.values()))
        if isinstance(only, str):
            text = only
    text = " ".join(text.split())
    return text if len(text) <= _ARG_CHARS else text[: _ARG_CHARS - 1] + "…"


class DemoView(TurnView):
    """Prints the run as it happens."""

    def __init__(self, console: Console, *, promote_after: int) -> None:
        self.console = console
        self.promote_after = promote_after
        self.detected_once = False
        self.taught_by: str | None = None
        """Set while a model runs on templates another model taught (the second act)."""
        self.model_turn_s: float | None = None
        """That model's median turn when it answered itself (the first act)."""

    # -- sections ---------------------------------------------------------------------------

    def heading(self, title: str, text: str = "") -> None:
        self.console.print()
        self.console.rule(f"[bold]{escape(title)}")
        if text:
            self.console.print(text)

    def warn(self, text: str) -> None:
        """A boxed warning; ``text`` is rich markup (escape what it quotes)."""
        self.console.print(Panel(text, border_style="bold red", title="read this", expand=False))

    def variant(self, info: VariantInfo, skill: str, model: str) -> None:
        self.heading(f"Compiling the skill {skill} for {model}")
        if info.profile:
            self.console.print(f"profile: {escape(info.profile)}")
        if info.gaps:
            gaps = "; ".join(f"{g.primitive} needs {g.needs}, has {g.has}" for g in info.gaps)
            self.console.print(f"gaps: {escape(gaps)}")
        if info.source == "compiled":
            self.console.print(
                f"[green]variant {info.id}[/] compiled; the shim serves it to {escape(model)} "
                f"in place of the original. Diff against the original:"
            )
            shown = info.diff[:_DIFF_LINES]
            more = len(info.diff) - len(shown)
            text = "\n".join(shown) + (f"\n… {more} more diff lines" if more > 0 else "")
            self.console.print(Syntax(text, "diff", theme="ansi_dark", word_wrap=True))
        else:
            self.console.print(
                f"[yellow]no variant ({info.status})[/]: {escape(info.reason)}. The model gets "
                "the original skill."
            )

    # -- sessions ---------------------------------------------------------------------------

    def session_start(self, label: str, task_text: str, lines: int) -> None:
        self.console.print(
            f"\n[bold]{escape(label)}[/] {escape(task_text)} [dim](the file has {lines} lines)"
        )

    def turn(self, session: Session, turn: Turn) -> None:
        if not self.detected_once and turn.span:
            self._detected(turn)
        label = "shim" if turn.synthetic else session.speaker
        style = "bold cyan" if turn.synthetic else "magenta"
        who = f"[{style}]{escape(label)}[/]" + " " * max(1, 10 - len(label))
        ms = turn.seconds * 1000
        what = (
            "  ".join(f"{escape(n)} [white]{escape(short_args(a))}[/]" for n, a in turn.calls)
            if turn.calls
            else f'answer "{escape(" ".join((turn.answer or "").split())[:100])}"'
        )
        tokens = f"{turn.tokens:>5} tok" if not turn.synthetic else "    0 tok"
        line = f"  {turn.step + 1:>2} {who}{ms:>7.0f} ms {tokens}  {what}"
        self.console.print(line, highlight=False)
        if turn.synthetic:
            template = str(turn.span.get(semconv.JIT_TEMPLATE_ID, "?"))[:8]
            self.console.print(
                f"       [cyan]replayed by the shim from template {template}: no call to "
                f"{escape(session.speaker)}; {escape(self._before(turn))}[/]",
                highlight=False,
            )
        for name, attributes in turn.events:
            template = str(attributes.get(semconv.JIT_TEMPLATE_ID, "?"))[:8]
            text = _EVENT_TEXT.get(name, name).format(n=self.promote_after)
            style = "bold green" if name == "promoted" else "yellow"
            self.console.print(f"       [{style}]template {template} {escape(text)}[/]")

    def _before(self, turn: Turn) -> str:
        """What this step cost before it was replayed, and whose time that was."""
        if self.taught_by is not None:
            median = self.model_turn_s
            own = f"its median turn took {median:.1f} s in the first act" if median else ""
            return own or f"the template was learned from the {self.taught_by}"
        model_ms = float(turn.span.get(semconv.JIT_MODEL_LATENCY) or 0.0)
        return f"the model took {model_ms:.0f} ms at this step before" if model_ms else ""

    def _detected(self, turn: Turn) -> None:
        detected = turn.span.get(semconv.SKILLS_DETECTED)
        variants = turn.span.get(semconv.VARIANT_IDS)
        if detected:
            names = ", ".join(str(d) for d in detected)
            served = (
                f"served variant {', '.join(str(v) for v in variants)}"
                if variants and turn.span.get(semconv.REWRITTEN)
                else "served the original (no variant for this model)"
            )
            self.console.print(
                f"       [green]shim: skill {escape(names)} detected in the request; {served}[/]"
            )
            self.detected_once = True

    def results(self, session: Session, turn: Turn) -> None:
        for text, failed in turn.results:
            head = " · ".join(line for line in text.strip().splitlines()[:3])[:100]
            style = "red" if failed else "dim"
            self.console.print(f"       [{style}]→ {escape(head)}[/]", highlight=False)

    def session_end(self, session: Session) -> None:
        g = session.grade
        mark = "[green]✓ correct[/]" if g.correct else "[red]✗ not correct[/]"
        self.console.print(f"     {mark} ({escape(g.why)}) in {session.seconds:.1f} s")

    # -- tables -----------------------------------------------------------------------------

    def rounds(self, title: str, rounds: Sequence[RoundSummary]) -> None:
        table = Table(title=title, title_justify="left")
        table.add_column("round")
        for column in ("tasks", "model calls", "replayed", "tokens", "wall s", "saved s"):
            table.add_column(column, justify="right")
        table.add_column("done", justify="right")
        table.add_column("correct", justify="right")
        for r in rounds:
            table.add_row(
                escape(str(r.round)),
                str(r.tasks),
                str(r.model_calls),
                str(r.replayed_steps),
                str(r.tokens),
                f"{r.wall_s:.1f}",
                f"{r.time_saved_s:.1f}",
                f"{r.completed}/{r.tasks}",
                f"{r.correct}/{r.tasks}",
            )
        self.console.print(table)

    def legend(self) -> None:
        self.console.print(
            "[dim]model calls: turns the model answered; replayed: turns the shim answered "
            "without a call; tokens: input + output the model reported; saved s: what the model "
            "took at the replayed steps before, minus the replays; done: ended with an answer; "
            "correct: graded by the demo's checker.[/]"
        )

    def templates(self, templates: Sequence[TemplateInfo], note: str) -> None:
        if templates:
            table = Table(title="Templates the shim learned", title_justify="left")
            for column in ("id", "state", "sessions", "hits", "misses", "streak", "replays"):
                table.add_column(column)
            table.add_column("steps")
            for t in templates:
                table.add_row(
                    t.id[:8],
                    t.state,
                    str(t.sessions),
                    str(t.hits),
                    str(t.misses),
                    f"{t.streak}/{self.promote_after}",
                    str(t.replays),
                    f"{t.steps}{' + answer' if t.final_replayable else ''}",
                )
            self.console.print(table)
        self.console.print(note)

    def summary(self, summary: DemoSummary) -> None:
        self.heading("Summary")
        v = summary.variant
        served = (
            f"variant {v.id} compiled from the measured profile, served in {v.served_calls} "
            "request(s)"
            if v.source == "compiled"
            else f"no variant ({v.status}): {v.reason}"
        )
        self.console.print(
            f"Skill {summary.skill.name}: detected in {summary.skill.detected_calls} request(s); "
            f"{escape(served)}."
        )
        self.console.print(escape(summary.learning_note))
        c = summary.completion
        who = (
            summary.model
            if summary.backend == "local-model"
            else f"The scripted upstream (a test double standing in for {summary.model})"
        )
        self.console.print(
            f"{who} on its own: completed {c.completed}/{c.tasks} tasks, {c.correct}/{c.tasks} "
            f"correct ({c.rate:.0%})."
        )
        if summary.transfer is not None:
            t = summary.transfer
            self.console.print(
                f"With the templates a {summary.teacher} taught: {t.after.correct}/{t.after.tasks} "
                f"correct ({t.after.rate:.0%}), {t.replayed_steps} steps answered by the shim, "
                f"{t.model_calls} calls to {summary.model}."
            )
        elif summary.second_act_note:
            self.console.print(escape(summary.second_act_note))
        spans = summary.spans
        self.console.print(
            f"Spans: {spans.get('llm_calls', 0)} LLM calls, {spans.get('synthetic', 0)} of them "
            f"answered by the shim; {spans.get('promotions', 0)} promotion event(s).",
            highlight=False,
        )
