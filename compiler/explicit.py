"""Compiling for a model no path fits: take the path with the smallest capability deficit and
make it explicit.

Pass 1 compensates one-level gaps and substitutes alternative paths the profile meets. A very
weak model (SmolLM2-135M is at L0 on every primitive) meets none, so every gap is flagged and the
text would stay as it is. When gaps stay flagged and the model cannot follow the skill's
procedures as written (its follow.procedure level is L0, or a follow.procedure gap has no
transform), each numbered procedure gets an explicit plan, inserted after it:

- steps that one command does are replaced by that command, stated exactly: a bundled script
  (as the skill shows it run, else as its argument parser declares it), the one command a step
  itself gives, or a command the skill says does those steps ("which does steps 2-4"). The
  command is chosen only when running it demands less of the model than the steps as written;
  the *capability deficit* of a way to do a step is the sum, over the primitives it demands, of
  the levels the model lacks (running a given command demands tool.exec L1 and nothing else);
- optional steps are cut;
- the remaining steps are numbered, one action each.

The original text stays (the guard keeps every step and code block); the plan is one inserted
block anchored at the procedure's SCR evidence, and ``ExplicitPath`` in the provenance records,
per step, what was demanded, what was chosen and why.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict

from compiler.codescan import inline_snippets, shell_lines
from compiler.edits import Edit, anchor_region
from compiler.gaps import Gap, Transform
from compiler.levels import Level
from compiler.markdown import Document, ListItem
from compiler.scr import SCR, Span
from compiler.scr_rules import Hit, is_instruction, ordered_lists, run_rules
from compiler.skill import SkillSource
from compiler.tcp import TCP

RUN_NEEDS = {"tool.exec": Level.L1}  # what running a command stated exactly demands
_SCRIPT_SUFFIXES = (".py", ".sh", ".bash", ".js", ".mjs")
_OPTIONAL = re.compile(
    r"^\W*(?:\*\*)?\s*(?:\(?optional(?:ly)?\b\)?|if (?:you have time|time permits|desired|"
    r"you like|you want|needed)\b|nice to have\b|bonus\b)|\(optional\)",
    re.I,
)
_STEP_REF = re.compile(
    r"\bsteps?\s+(?P<a>\d{1,2})(?:\s*(?:-|–|—|to|through|and)\s*(?P<b>\d{1,2}))?\b", re.I
)
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”)*`]*$|\*\*$")
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]+")
_INTRODUCES = re.compile(r":(\*\*)?\s*$")
_SPLIT = re.compile(r";\s+(?:(?:and\s+)?then\s+)?|\.\s+(?=[A-Z*`])|,?\s+(?:and\s+)?then\s+")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class StepChoice(_Frozen):
    """How the plan does some of the skill's steps, and why."""

    steps: tuple[int, ...]  # the skill's own step numbers
    chosen: Literal["as-written", "command", "cut"]
    command: str | None = None
    demands: dict[str, str] = {}  # primitive -> level the steps demand as written
    deficit_as_written: int = 0
    deficit_chosen: int = 0
    reason: str


class PlanStep(_Frozen):
    number: int
    text: str
    from_steps: tuple[int, ...]


class ExplicitPlan(_Frozen):
    anchor: Span
    line: int  # 1-based line of the original the plan is inserted after
    steps: tuple[PlanStep, ...]
    choices: tuple[StepChoice, ...]
    deficit_before: int
    deficit_after: int


class ExplicitPath(_Frozen):
    """Why the compiler made the skill explicit for this model, and what it did."""

    reason: str
    plans: tuple[ExplicitPlan, ...] = ()
    skipped: tuple[str, ...] = ()  # procedures left as they were, and why


def explicit_reason(gaps: Sequence[Gap], transforms: Sequence[Transform], tcp: TCP) -> str | None:
    """Why this target needs an explicit path, or None when pass 1's transforms are the answer."""
    flagged = [t for t in transforms if t.kind == "flag"]
    if not flagged:
        return None
    procedure = tcp.level("follow.procedure")
    stuck = [t for t in flagged if t.primitive == "follow.procedure"]
    if procedure is not Level.L0 and not stuck:
        return None
    what = (
        "fails even three-step procedures (follow.procedure L0)"
        if procedure is Level.L0
        else f"cannot follow the procedure as written (follow.procedure {stuck[0].required} "
        f"needed, {stuck[0].model} measured, no transform)"
    )
    return (
        f"no path fits the profile: {len(flagged)} of {len(gaps)} gaps have no compensation or "
        f"substitution, and the model {what}"
    )


@dataclass(frozen=True, slots=True)
class _Step:
    number: int
    item: ListItem
    end: int  # 0-based last line of the step, nested content included


@dataclass(frozen=True, slots=True)
class _Command:
    text: str
    line: int  # 0-based line where the skill shows it


def plan_explicit_path(
    skill: SkillSource,
    *,
    scr: SCR,
    gaps: Sequence[Gap],
    transforms: Sequence[Transform],
    tcp: TCP,
    used_lines: set[int],
    budget: int,
    hits: list[Hit] | None = None,
) -> tuple[ExplicitPath | None, list[Edit]]:
    """The explicit path for ``tcp`` (None when the target does not need one) and its edits.
    ``hits`` are the rule hits the SCR came from, when the rules extracted it."""
    reason = explicit_reason(gaps, transforms, tcp)
    if reason is None:
        return None, []
    doc = skill.document
    procedures = [g for g in ordered_lists(doc) if len(g) >= 2]
    if not procedures:
        return ExplicitPath(reason=reason, skipped=("no numbered procedure",)), []
    if hits is None:
        hits = run_rules(skill)
    commands = _shown_commands(doc)
    scripts = _bundled_scripts(skill, commands)
    covers = _covering_commands(doc, procedures, commands)
    plans: list[ExplicitPlan] = []
    edits: list[Edit] = []
    skipped: list[str] = []
    for group in procedures:
        where = f"procedure at line {group[0].line + 1}"
        steps = _steps(doc, group)
        anchor = _anchor(scr, group)
        if anchor is None:
            skipped.append(f"{where}: no procedure evidence to anchor a plan at")
            continue
        plan = _plan(
            skill,
            steps,
            tcp=tcp,
            hits=hits,
            commands=commands,
            scripts=scripts,
            covers=covers.get(group[0].line, {}),
        )
        if plan is None:
            skipped.append(
                f"{where}: nothing asks less than the steps as written (no command does a "
                "step, none is optional)"
            )
            continue
        plan_steps, choices = plan
        line = steps[-1].end + 1  # 1-based: insert after the procedure's last line
        lo, hi = anchor_region(doc, anchor[1])
        if not lo <= line <= hi or line in used_lines:
            skipped.append(f"{where}: no free place after the procedure for the plan")
            continue
        if len(edits) >= budget:
            skipped.append(f"{where}: edit budget used")
            continue
        text = _render(plan_steps, choices)
        before = sum(c.deficit_as_written for c in choices)
        after = sum(c.deficit_chosen for c in choices)
        plans.append(
            ExplicitPlan(
                anchor=anchor[1],
                line=line,
                steps=tuple(plan_steps),
                choices=tuple(choices),
                deficit_before=before,
                deficit_after=after,
            )
        )
        edits.append(
            Edit(
                gap_id=anchor[0],
                transform="explicit",
                primitive="follow.procedure",
                anchor=anchor[1],
                op="insert_after",
                line=line,
                text=text,
                rationale=f"{reason}; the plan lowers the capability deficit of this procedure "
                f"from {before} to {after} levels",
            )
        )
        used_lines.add(line)
    return ExplicitPath(reason=reason, plans=tuple(plans), skipped=tuple(skipped)), edits


def _steps(doc: Document, group: list[ListItem]) -> list[_Step]:
    out = []
    for k, item in enumerate(group):
        if k + 1 < len(group):
            end = group[k + 1].line - 1
        else:
            end = item.end
            j = end + 1
            while j < len(doc.lines):
                line = doc.lines[j]
                indent = len(line) - len(line.lstrip())
                if line.strip() and indent <= item.indent and not doc.in_fence[j]:
                    break
                if line.strip() and doc.in_fence[j] and indent <= item.indent:
                    fence = doc.fence_at(j)
                    if fence is None or fence.start == j:
                        break
                j += 1
            end = j - 1
        while end > item.end and not doc.lines[end].strip():
            end -= 1
        out.append(_Step(item.number or k + 1, item, end))
    return out


def _anchor(scr: SCR, group: list[ListItem]) -> tuple[str, Span] | None:
    """The follow.procedure evidence on this list (its gap id and span)."""
    first, last = group[0].line + 1, group[-1].end + 1
    for purpose, req in scr.requirements():
        if req.primitive != "follow.procedure":
            continue
        for ev in req.evidence:
            if ev.span.start_line <= last and ev.span.end_line >= first:
                return f"{purpose.id}:{req.primitive}", ev.span
    return None


def _shown_commands(doc: Document) -> list[_Command]:
    """Single commands the skill shows: one-line shell blocks and inline commands."""
    out = []
    for f in doc.fences:
        body = [ln for ln in f.body.split("\n") if ln.strip() and not ln.strip().startswith("#")]
        if len(body) != 1 or not _looks_run(f.lang, body[0]):
            continue  # only a block of exactly one command is "the command"
        lines = shell_lines(f.body)
        if len(lines) == 1 and not lines[0].heredoc:
            out.append(_Command(lines[0].text, f.start))
    out.extend(_Command(s.code, s.line) for s in inline_snippets(doc) if s.kind == "command")
    return out


def _looks_run(lang: str, text: str) -> bool:
    from compiler.signals import SHELL_LANGS

    return lang in SHELL_LANGS or (lang == "" and " " in text)


def _bundled_scripts(skill: SkillSource, commands: list[_Command]) -> dict[str, str]:
    """Bundled script path -> the command that runs it: as the skill shows it, else as its
    argument parser declares it. Scripts with neither get none."""
    out: dict[str, str] = {}
    for f in skill.bundle:
        if not f.path.endswith(_SCRIPT_SUFFIXES):
            continue
        shown = next((c.text for c in commands if _runs(c.text, f.path)), None)
        command = shown or _usage(f.path, f.text or "")
        if command is not None:
            out[f.path] = command
    return out


def _runs(command: str, path: str) -> bool:
    try:
        argv = shlex.split(command)
    except ValueError:
        return False
    return any(a == path or a == "./" + path or a.endswith("/" + path) for a in argv)


def _usage(path: str, text: str) -> str | None:
    """``python3 scripts/x.py CSV`` from the script's argparse calls (read, never run)."""
    if path.endswith((".sh", ".bash")):
        return f"bash {path}" if "$1" not in text and "getopts" not in text else None
    if not path.endswith(".py"):
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    args: list[str] = []
    parser = False
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "ArgumentParser":
            parser = True
        if node.func.attr != "add_argument" or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return None
        name = first.value
        required = any(
            k.arg == "required" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
        if not name.startswith("-"):
            args.append(name.upper())
        elif required:
            args.append(f"{name} {name.lstrip('-').upper()}")
    if not parser and "sys.argv" in text:
        return None  # takes arguments we cannot name
    return " ".join(["python3", path, *args])


def _covering_commands(
    doc: Document, procedures: list[list[ListItem]], commands: list[_Command]
) -> dict[int, dict[int, tuple[int, _Command]]]:
    """Commands the text says do a range of steps ("which does steps 2-4"), per procedure
    (keyed by its first line): first step -> (last step, command). The range refers to the
    nearest procedure above the command."""
    out: dict[int, dict[int, tuple[int, _Command]]] = {}
    for cmd in commands:
        context = _context(doc, cmd.line)
        m = _STEP_REF.search(context)
        if m is None:
            continue
        above = [g for g in procedures if g[0].line < cmd.line]
        if not above:
            continue
        group = above[-1]
        a = int(m["a"])
        b = int(m["b"] or a)
        numbers = {it.number for it in group}
        if a <= b and a in numbers and b in numbers:
            out.setdefault(group[0].line, {}).setdefault(a, (b, cmd))
    return out


def _context(doc: Document, line: int) -> str:
    """The command's own line and up to three prose lines before it, within its section."""
    parts = [] if doc.in_fence[line] else [doc.lines[line]]
    k = line - 1
    while k >= doc.body_start and len(parts) < 4:
        text = doc.lines[k]
        if doc.in_fence[k] or any(h.line == k for h in doc.headings):
            break
        if text.strip():
            parts.append(text)
        k -= 1
    return " ".join(reversed(parts))


def _plan(
    skill: SkillSource,
    steps: list[_Step],
    *,
    tcp: TCP,
    hits: list[Hit],
    commands: list[_Command],
    scripts: dict[str, str],
    covers: dict[int, tuple[int, _Command]],
) -> tuple[list[PlanStep], list[StepChoice]] | None:
    doc = skill.document
    run_cost = _deficit(RUN_NEEDS, tcp)
    demands = [_demands(s, hits) for s in steps]
    choices: list[StepChoice] = []
    plan: list[PlanStep] = []
    i = 0
    while i < len(steps):
        step, demand = steps[i], demands[i]
        cost = _deficit(demand, tcp)
        levels = {p: str(lv) for p, lv in sorted(demand.items())}
        if _OPTIONAL.search(step.item.text):
            choices.append(
                StepChoice(
                    steps=(step.number,),
                    chosen="cut",
                    demands=levels,
                    deficit_as_written=cost,
                    reason="marked optional; a model that cannot follow the procedure does "
                    "only the required steps",
                )
            )
            i += 1
            continue
        cover = covers.get(step.number)
        if cover is not None:
            last, cmd = cover
            j = next(k for k in range(i, len(steps)) if steps[k].number == last)
            span = steps[i : j + 1]
            together: dict[str, Level] = {}
            for d in demands[i : j + 1]:
                for p, lv in d.items():
                    together[p] = max(together.get(p, Level.L0), lv)
            group_cost = sum(_deficit(d, tcp) for d in demands[i : j + 1])
            if run_cost < group_cost:
                numbers = tuple(s.number for s in span)
                choices.append(
                    StepChoice(
                        steps=numbers,
                        chosen="command",
                        command=cmd.text,
                        demands={p: str(lv) for p, lv in sorted(together.items())},
                        deficit_as_written=group_cost,
                        deficit_chosen=run_cost,
                        reason=f"the skill says `{cmd.text}` does "
                        f"{_steps_label(numbers)}; running it lacks {run_cost} level(s), "
                        f"doing them as written lacks {group_cost}",
                    )
                )
                plan.append(
                    PlanStep(
                        number=len(plan) + 1,
                        text=_run_text(skill, cmd.text, numbers),
                        from_steps=numbers,
                    )
                )
                i = j + 1
                continue
        command, stated = _step_command(step, doc, commands, scripts)
        if command is not None and stated and not _example_arguments(skill, command):
            # The step already states its command exactly: running it is all it asks, and
            # the plan keeps it as written.
            cost = _deficit({p: lv for p, lv in demand.items() if p != "gen.code.shell"}, tcp)
            command = None
        if command is not None and run_cost < cost:
            choices.append(
                StepChoice(
                    steps=(step.number,),
                    chosen="command",
                    command=command,
                    demands=levels,
                    deficit_as_written=cost,
                    deficit_chosen=run_cost,
                    reason=f"`{command}` does this step; running it lacks {run_cost} level(s), "
                    f"doing it as written lacks {cost}",
                )
            )
            run = _run_text(skill, command, (step.number,))
            if _INTRODUCES.search(step.item.text):  # "Generate the report:" then its command
                run = f"{step.item.text.strip()} {run}"
            plan.append(PlanStep(number=len(plan) + 1, text=run, from_steps=(step.number,)))
            i += 1
            continue
        actions = _actions(step)
        choices.append(
            StepChoice(
                steps=(step.number,),
                chosen="as-written",
                demands=levels,
                deficit_as_written=cost,
                deficit_chosen=cost,
                reason=(
                    f"split into {len(actions)} actions"
                    if len(actions) > 1
                    else "no command does this step"
                    if cost
                    else "the model meets what this step demands"
                ),
            )
        )
        base = len(plan)
        plan.extend(
            PlanStep(number=base + 1 + k, text=a, from_steps=(step.number,))
            for k, a in enumerate(actions)
        )
        i += 1
    before = sum(c.deficit_as_written for c in choices)
    after = sum(c.deficit_chosen for c in choices)
    # Only a path that asks less of the model is worth a plan; renumbering alone is not.
    return (plan, choices) if plan and after < before else None


def _demands(step: _Step, hits: list[Hit]) -> dict[str, Level]:
    out: dict[str, Level] = {}
    for h in hits:
        if step.item.line <= h.start <= step.end and h.rule != "steps.procedure":
            out[h.primitive] = max(out.get(h.primitive, Level.L0), h.level)
    return out


def _deficit(demand: dict[str, Level], tcp: TCP) -> int:
    total = 0
    for primitive, level in demand.items():
        have = tcp.level(primitive)
        if have is not None:  # unmeasured is not a gap
            total += max(0, int(level) - int(have))
    return total


def _step_command(
    step: _Step, doc: Document, commands: list[_Command], scripts: dict[str, str]
) -> tuple[str | None, bool]:
    """The one command that does this step (the only one it shows, or the bundled script it
    names, run as the skill runs it), and whether the step's own sentence states it."""
    own = [c for c in commands if step.item.line <= c.line <= step.end]
    if len({c.text for c in own}) == 1:
        return own[0].text, step.item.line <= own[0].line <= step.item.end
    if own:
        return None, False
    text = "\n".join(doc.lines[step.item.line : step.end + 1])
    named = [
        cmd
        for path, cmd in scripts.items()
        if path in text or re.search(rf"(?<![\w/.-]){re.escape(PurePosixPath(path).name)}\b", text)
    ]
    return (named[0], False) if len(named) == 1 else (None, False)


def _run_text(skill: SkillSource, command: str, numbers: tuple[int, ...]) -> str:
    text = f"Run `{command}`."
    if len(numbers) > 1:
        text += f" It does {_steps_label(numbers)} above."
    examples = _example_arguments(skill, command)
    files = [e for e in examples if not _PLACEHOLDER.fullmatch(e)]
    slots = [e for e in examples if _PLACEHOLDER.fullmatch(e)]
    if files:
        text += f" Put the path of your own input in place of {_listing(files)}."
    if slots:
        text += f" Put your task's values in place of {_listing(slots)}."
    return text


def _listing(items: list[str]) -> str:
    shown = [f"`{x}`" for x in items]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _example_arguments(skill: SkillSource, command: str) -> list[str]:
    """File arguments the skill names nowhere but in this command (``data.csv`` in an example
    run), and placeholders in capitals: the model must put its own in their place."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return []
    rest = skill.skill_md.replace(command, "")
    bundle = set(skill.bundle_paths)
    out = []
    for arg in argv[1:]:
        if arg.startswith("-") or arg in bundle or arg.lstrip("./") in bundle:
            continue
        if _PLACEHOLDER.fullmatch(arg) or (
            re.fullmatch(r"[\w./-]*[A-Za-z][\w-]*\.[A-Za-z][A-Za-z0-9]{0,4}", arg)
            and arg not in rest
        ):
            out.append(arg)
    return out


def _steps_label(numbers: tuple[int, ...]) -> str:
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    return f"steps {numbers[0]}–{numbers[-1]}"


def _actions(step: _Step) -> list[str]:
    """The step's text as one action per entry: split at semicolons, sentences and "then" where
    the next part is itself an instruction; code spans and parentheses are never split."""
    text = step.item.text.strip()
    if _INTRODUCES.search(text):
        # "Review key indicators:" introduces what follows it; it stays one step.
        label = _INTRODUCES.sub(lambda m: m.group(1) or "", text)
        return [f"{label} (as listed under step {step.number} above)."]
    masked = _mask(text)
    parts: list[str] = []
    start = 0
    for m in _SPLIT.finditer(masked):
        right = masked[m.end() :]
        if not right or not is_instruction(right[:1].upper() + right[1:]):
            continue
        parts.append(text[start : m.start()])
        start = m.end()
    parts.append(text[start:])
    out = []
    for raw in parts:
        part = raw.strip().rstrip(";,")
        if not part:
            continue
        part = part[:1].upper() + part[1:]
        out.append(part if _ENDS_SENTENCE.search(part) else part + ".")
    return out or [text]


def _mask(text: str) -> str:
    """The text with code spans, quotations and parenthesised parts blanked (same length)."""
    out = list(text)
    depth = 0
    code = quoted = False
    for i, ch in enumerate(text):
        if ch == "`":
            code = not code
            continue
        if not code and ch in '"“”':
            quoted = not quoted if ch == '"' else ch == "“"
            continue
        if not code and not quoted and ch == "(":
            depth += 1
        if code or quoted or depth:
            out[i] = "x"
        if not code and not quoted and ch == ")" and depth:
            depth -= 1
    return "".join(out)


def _render(steps: Sequence[PlanStep], choices: Sequence[StepChoice]) -> str:
    notes = []
    for c in choices:
        if c.chosen == "command" and len(c.steps) > 1:
            notes.append(f"{_steps_label(c.steps)} above are one command here")
        elif c.chosen == "cut":
            notes.append(f"optional {_steps_label(c.steps)} is left out")
    lead = "**Do these steps one at a time, in this order**"
    lead += f" ({'; '.join(notes)}):" if notes else ":"
    return "\n".join([lead, "", *(f"{s.number}. {s.text}" for s in steps)])
