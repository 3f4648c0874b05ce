"""Simulated consistent models, for the differential test of "exact or absent".

A simulated model understands its task: it answers from the task's *parameters* (a file name, a
number, a word), whatever words, sentence order or language the task uses to give them. The
shim only sees text. So after it learned a template from one phrasing, a task saying the same in
other words (a plural, a synonym, another order, an extra sentence, German) gets the same tool
calls from the model, and the shim must replay exactly those or nothing.

:func:`run_session` is a small agent loop on Chat Completions (a real ``openai`` client through
``skvm_shim.patch``, the scripted upstream playing the model): before every LLM call it scripts
the turn the model would give, and when the upstream is not asked (the shim replayed the step)
it compares the replayed turn with that turn. Tool calls are executed by a deterministic
simulated environment (no processes), so only the shim can make two sessions differ.
"""

from __future__ import annotations

import json
import shlex
import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream

Step = Literal["count", "head", "grep", "read"]
Quote = Literal["double", "single", "shlex"]
Answer = Literal["count", "grep", "fixed", "name"]
Mention = Literal["bare", "backquote", "double"]

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "bash",
            "parameters": {
                "type": "object",
                "properties": {"command": {"type": "string"}},
                "required": ["command"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "read",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
            },
        },
    },
]


# -- the world the tools see ------------------------------------------------------------------


def line_count(name: str) -> int:
    return 10 + zlib.crc32(name.encode("utf-8", "surrogatepass")) % 90


def mentions(word: str, name: str) -> int:
    return zlib.crc32((word + "\x00" + name).encode("utf-8", "surrogatepass")) % 10


def execute(name: str, arguments: str) -> str:
    """What the simulated harness returns for a tool call (deterministic, no processes)."""
    args = json.loads(arguments)
    if name == "read":
        path = args["path"]
        return f"id,value\n{line_count(path)} rows in {path}\n"
    try:
        argv = shlex.split(args["command"])
    except ValueError:
        return "bash: syntax error\nexit code: 2"
    if argv[:2] == ["wc", "-l"] and len(argv) == 3:
        return f"{line_count(argv[2])} {argv[2]}\n"
    if argv[:2] == ["head", "-n"] and len(argv) == 4 and argv[2].isdigit():
        return "".join(f"row {i} of {argv[3]}\n" for i in range(min(int(argv[2]), 5)))
    if argv[:2] == ["grep", "-c"] and len(argv) == 4:
        return f"{mentions(argv[2], argv[3])}\n"
    return f"bash: {argv[0] if argv else ''}: command not found\nexit code: 127"


# -- the task -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """What a task asks for; the model answers from these alone."""

    file: str
    n: int
    word: str


_SENTENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("Use the csv-lines {skill} on {file}.", "Apply the csv-lines {skill} to {file}."),
        ("Show the first {n} lines.", "Print the first {n} rows."),
        ("Count the lines that mention {word}.", "Tally the rows containing {word}."),
    ),
    "de": (
        ("Nutze den csv-lines {skill} für {file}.", "Verwende den csv-lines {skill} mit {file}."),
        ("Zeige die ersten {n} Zeilen.", "Gib die ersten {n} Zeilen aus."),
        ("Zähle die Zeilen, die {word} enthalten.", "Zähle die Zeilen mit {word}."),
    ),
}
_SKILL = {"en": ("skill", "skills"), "de": ("Skill", "Skills")}
EXTRAS = (
    "Thanks!",
    "Please be quick.",
    "Leave backup_{n}.csv alone.",
    "The lines of {word} matter most.",
    "Count the lines of nothing else.",
    "Danke!",
    "Use the csv-lines skill on {word}.",
)


@dataclass(frozen=True)
class Phrasing:
    """How a task says its parameters: language, words, order, extra sentences, quoting."""

    lang: Literal["en", "de"] = "en"
    order: tuple[int, ...] = (0, 1, 2)
    synonyms: tuple[bool, bool, bool] = (False, False, False)
    plural: bool = False
    mention: Mention = "bare"
    extra: str | None = None
    extra_first: bool = False

    def task(self, p: Params) -> str:
        file = {"bare": p.file, "backquote": f"`{p.file}`", "double": f'"{p.file}"'}[self.mention]
        fields = {"skill": _SKILL[self.lang][self.plural], "file": file, "n": p.n, "word": p.word}
        sentences = [
            _SENTENCES[self.lang][i][self.synonyms[i]].format(**fields) for i in self.order
        ]
        if self.extra is not None:
            extra = self.extra.format(n=p.n + 1, word=p.word)
            sentences.insert(0 if self.extra_first else len(sentences), extra)
        return " ".join(sentences)


# -- the model ----------------------------------------------------------------------------------


def quote(style: Quote, value: str) -> str:
    if style == "shlex" or any(c in value for c in "\"'$`\\!"):
        return shlex.quote(value)
    return f'"{value}"' if style == "double" else f"'{value}'"


@dataclass(frozen=True)
class Model:
    """A consistent model: the same parameters give the same calls and answer."""

    steps: tuple[Step, ...]
    quoting: Quote = "double"
    answer: Answer = "count"

    def call(self, p: Params, step: Step) -> ToolCall:
        f = quote(self.quoting, p.file)
        if step == "read":
            return ToolCall(name="read", arguments={"path": p.file})
        command = {
            "count": f"wc -l {f}",
            "head": f"head -n {p.n} {f}",
            "grep": f"grep -c {quote(self.quoting, p.word)} {f}",
        }[step]
        return ToolCall(name="bash", arguments={"command": command})

    def final(self, p: Params) -> str:
        if self.answer == "count" and "count" in self.steps:
            return f"{p.file} has {line_count(p.file)} lines."
        if self.answer == "grep" and "grep" in self.steps:
            return f"{mentions(p.word, p.file)} lines mention {p.word}."
        if self.answer == "name":
            return f"Finished {p.file}."
        return "Done."

    def turn(self, p: Params, index: int) -> Turn:
        if index < len(self.steps):
            return Turn(tool_calls=(self.call(p, self.steps[index]),))
        return Turn(text=self.final(p))


# -- running sessions -----------------------------------------------------------------------------


@dataclass
class Stats:
    """What the differential suite did, for the summary line pytest prints."""

    scenarios: int = 0
    sessions: int = 0
    steps: int = 0
    replayed: int = 0
    replayed_perturbed: int = 0
    absent_perturbed: int = 0

    def line(self) -> str:
        return (
            f"JIT differential (exact or absent): {self.scenarios} scenarios, "
            f"{self.sessions} sessions, {self.steps} steps, {self.replayed} replayed exactly "
            f"({self.replayed_perturbed} in perturbed tasks), "
            f"{self.absent_perturbed} perturbed steps left to the model"
        )


STATS = Stats()


@dataclass
class Session:
    task: str
    replayed: list[int] = field(default_factory=list)
    """Indexes of the steps the shim answered (the final answer is ``len(model.steps)``)."""
    mismatch: str | None = None


def _same(intended: Turn, name: str, arguments: str, text: str, calls: int) -> bool:
    """Is a replayed step what the model would have written (as the harness would run it)?"""
    if not intended.tool_calls:
        return calls == 0 and text.rstrip() == (intended.text or "").rstrip()
    [want] = intended.tool_calls
    if calls != 1 or name != want.name:
        return False
    got = json.loads(arguments)
    expected = want.arguments
    assert isinstance(expected, dict)
    if set(got) != set(expected):
        return False
    if name == "bash":
        try:
            return shlex.split(got["command"]) == shlex.split(expected["command"])
        except ValueError:
            return False
    return bool(got == expected)


def run_session(
    client: Any,
    upstream: ScriptedUpstream,
    *,
    system: str,
    model: Model,
    params: Params,
    task: str,
) -> Session:
    session = Session(task)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": task},
    ]
    for index in range(len(model.steps) + 1):
        intended = model.turn(params, index)
        upstream.reset()
        upstream.script(intended)
        response = client.chat.completions.create(
            model="simulated-model", messages=messages, tools=TOOLS
        )
        message = response.choices[0].message
        calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
        text = message.content or ""
        if not upstream.requests:
            session.replayed.append(index)
            name, arguments = (calls[0][1], calls[0][2]) if calls else ("", "{}")
            if not _same(intended, name, arguments, text, len(calls)):
                session.mismatch = (
                    f"step {index}: the shim replayed {calls or text!r}, the model writes "
                    f"{intended.tool_calls or intended.text!r}"
                )
                return session
        STATS.steps += 1
        assistant: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            assistant["tool_calls"] = [
                {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                for i, n, a in calls
            ]
        messages.append(assistant)
        if not calls:
            break
        for call_id, name, arguments in calls:
            messages.append(
                {"role": "tool", "tool_call_id": call_id, "content": execute(name, arguments)}
            )
    STATS.sessions += 1
    return session


def perturb(base: Phrasing, how: str, extra: str) -> Phrasing:
    """``base`` said otherwise: one perturbation by name."""
    if how == "plural":
        return replace(base, plural=not base.plural)
    if how == "synonym":
        return replace(base, synonyms=(not base.synonyms[0], *base.synonyms[1:]))
    if how == "synonyms":
        return replace(base, synonyms=tuple(not s for s in base.synonyms))  # type: ignore[arg-type]
    if how == "reorder":
        return replace(base, order=(*base.order[1:], base.order[0]))
    if how == "language":
        return replace(base, lang="de" if base.lang == "en" else "en")
    if how == "mention":
        other: Mention = "backquote" if base.mention != "backquote" else "bare"
        return replace(base, mention=other)
    if how == "extra":
        return replace(base, extra=extra, extra_first=False)
    if how == "extra-first":
        return replace(base, extra=extra, extra_first=True)
    raise ValueError(how)


PERTURBATIONS = (
    "plural",
    "synonym",
    "synonyms",
    "reorder",
    "language",
    "mention",
    "extra",
    "extra-first",
)
