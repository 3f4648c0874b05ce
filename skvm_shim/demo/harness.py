"""One task through ``examples/agent_loop.py``, watched turn by turn from outside the loop.

The loop gets a client whose ``chat.completions.create`` calls the real (patched) SDK client,
times the call as the harness sees it, and reads the ``x-skvm-synthetic`` header the shim puts on
a replayed answer. The shim's span for the call says which template replayed and what the model
took at that step before.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from skvm_shim.demo.spans import SpanLog, attrs, is_llm, jit_events
from skvm_shim.demo.tasks import Grade, Task, grade

SYNTHETIC_HEADER = "x-skvm-synthetic"


@dataclass(slots=True)
class Turn:
    """One answer the harness got: from the model, or from the shim (``synthetic``)."""

    step: int
    synthetic: bool
    seconds: float
    tokens: int
    calls: list[tuple[str, str]]
    answer: str | None
    span: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: list[tuple[str, bool]] = field(default_factory=list)
    """What the harness's tools returned for this turn's calls (text, failed)."""


@dataclass(slots=True)
class Session:
    task: Task
    speaker: str
    turns: list[Turn]
    answer: str
    grade: Grade
    seconds: float

    @property
    def model_calls(self) -> int:
        return sum(not t.synthetic for t in self.turns)

    @property
    def replayed(self) -> int:
        return sum(t.synthetic for t in self.turns)

    @property
    def tokens(self) -> int:
        return sum(t.tokens for t in self.turns)


class TurnView:
    """What the caller shows as the session runs (the demo's renderer implements it)."""

    def turn(self, session: Session, turn: Turn) -> None:
        """A turn was answered."""

    def results(self, session: Session, turn: Turn) -> None:
        """The harness ran the turn's tool calls."""


class _Observed:
    """``client.chat.completions`` as the loop uses it, observed."""

    def __init__(self, inner: Any, on_call: Callable[[dict[str, Any], Any, float, bool], None]):
        self._inner = inner
        self._on_call = on_call

    def create(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        raw = self._inner.with_raw_response.create(**kwargs)
        response = raw.parse()
        seconds = time.perf_counter() - start
        self._on_call(kwargs, response, seconds, raw.headers.get(SYNTHETIC_HEADER) == "1")
        return response


class _Chat:
    def __init__(self, completions: _Observed) -> None:
        self.completions = completions


class _Client:
    def __init__(self, completions: _Observed) -> None:
        self.chat = _Chat(completions)


def run_session(
    agent_loop: ModuleType,
    client: Any,
    *,
    model: str,
    task: Task,
    speaker: str,
    skills_dir: Path,
    skill_name: str,
    max_steps: int,
    temperature: float,
    max_tokens: int,
    spans: SpanLog,
    view: TurnView,
    parent: Path,
) -> Session:
    """Run ``task`` in a fresh work directory under ``parent``; grade the answer."""
    session = Session(task, speaker, [], "", Grade(False, False, ""), 0.0)
    mark = [len(spans)]

    def on_call(kwargs: dict[str, Any], response: Any, seconds: float, synthetic: bool) -> None:
        _attach_results(session, kwargs.get("messages") or [], view)
        new = [s for s in spans.since(mark[0]) if is_llm(s)]
        mark[0] = len(spans)
        span = new[-1] if new else None
        message = response.choices[0].message
        usage = getattr(response, "usage", None)
        tokens = 0
        if usage is not None and not synthetic:
            tokens = int(usage.prompt_tokens or 0) + int(usage.completion_tokens or 0)
        turn = Turn(
            step=len(session.turns),
            synthetic=synthetic,
            seconds=seconds,
            tokens=tokens,
            calls=[(c.function.name, c.function.arguments or "") for c in message.tool_calls or ()],
            answer=None if message.tool_calls else (message.content or ""),
            span=attrs(span) if span is not None else {},
            events=jit_events(span) if span is not None else [],
        )
        session.turns.append(turn)
        view.turn(session, turn)

    observed = _Client(_Observed(client.chat.completions, on_call))
    with tempfile.TemporaryDirectory(prefix="task-", dir=parent) as tmp:
        workdir = Path(tmp)
        digest = task.write(workdir)
        start = time.perf_counter()
        answer = agent_loop.run_agent(
            observed,
            model=model,
            task=task.text,
            skills_dir=skills_dir,
            workdir=workdir,
            max_steps=max_steps,
            load=[skill_name],
            temperature=temperature,
            max_tokens=max_tokens,
            echo=lambda _line: None,
        )
        session.seconds = time.perf_counter() - start
        finished = answer != agent_loop.STEP_LIMIT
        session.answer = answer
        session.grade = grade(task, answer, finished=finished, workdir=workdir, digest=digest)
    return session


def _attach_results(session: Session, messages: list[Any], view: TurnView) -> None:
    """The tool results of the previous turn, from the request that carries them."""
    if not session.turns:
        return
    last = session.turns[-1]
    if last.results or not last.calls:
        return
    results = [m for m in messages if isinstance(m, dict) and m.get("role") == "tool"]
    for message in results[-len(last.calls) :]:
        text = str(message.get("content") or "")
        last.results.append((text, text.startswith("Error:") or _exit_failed(text)))
    view.results(session, last)


def _exit_failed(text: str) -> bool:
    first = text.split("\n", 1)[0]
    return first.startswith("exit code ") and first != "exit code 0"
