"""What a probe is: a task for the model, its setup files, and a check that cannot be argued with.

A generator is a function from a seeded ``random.Random`` to a :class:`Probe`. Each probe also
carries a known-good and a known-bad scripted answer: they document what the check accepts and
rejects, and the tests replay them through the real harness against a scripted upstream.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_URL = "{base_url}"
"""Placeholder for the loopback server's address in prompts and answers of web probes."""


class InfraError(Exception):
    """The check could not judge (an interpreter is missing): the instance is skipped."""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""

    def render(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'FAIL'}" + (
            f" ({self.detail})" if self.detail else ""
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a check sees: the work directory after the run and the model's final text."""

    workdir: Path
    answer: str


Grader = Callable[[Attempt], list[Check]]
Route = Callable[[Mapping[str, list[str]]], tuple[int, Any]]
"""A loopback endpoint: query parameters -> (HTTP status, JSON body)."""


@dataclass(frozen=True, slots=True)
class Call:
    """One scripted tool call of a bare-agent answer."""

    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Answer:
    """A scripted answer: tool calls (one per turn), then the final text."""

    calls: tuple[Call, ...] = ()
    text: str = "Done."


def write(path: str, content: str) -> Call:
    return Call("write_file", {"path": path, "content": content})


def read(path: str) -> Call:
    return Call("read_file", {"path": path})


def run(command: str) -> Call:
    return Call("execute_command", {"command": command})


def fetch(url: str) -> Call:
    return Call("web_fetch", {"url": url})


def say(text: str) -> Answer:
    return Answer(text=text)


def files(*calls: Call, text: str = "Done.") -> Answer:
    return Answer(calls=calls, text=text)


@dataclass(frozen=True, slots=True)
class Probe:
    prompt: str
    grade: Grader
    good: Answer
    bad: Answer
    files: Mapping[str, str] = field(default_factory=dict)
    routes: Mapping[str, Route] = field(default_factory=dict)
    """Served on a loopback server for the run; ``{base_url}`` in the prompt is its address."""
    requires: tuple[str, ...] = ()
    """``"node"`` or ``"python:<module>"``: without it the instance is skipped, not run."""

    def fingerprint(self) -> str:
        """Identifies the instance (prompt, files, endpoints, and through the scripted answers
        what the check expects): a resumed run reuses a result only when the generator still
        produces the same instance."""
        answers = [
            [[c.name, dict(c.arguments)] for c in a.calls] + [a.text] for a in (self.good, self.bad)
        ]
        data = json.dumps(
            [self.prompt, sorted(self.files.items()), sorted(self.routes), answers],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def with_base_url(self, base_url: str) -> Probe:
        """The probe with the loopback server's address filled in."""
        return Probe(
            prompt=self.prompt.replace(BASE_URL, base_url),
            grade=self.grade,
            good=_fill(self.good, base_url),
            bad=_fill(self.bad, base_url),
            files=self.files,
            routes=self.routes,
            requires=self.requires,
        )


def _fill(answer: Answer, base_url: str) -> Answer:
    calls = tuple(
        Call(
            c.name,
            {
                k: v.replace(BASE_URL, base_url) if isinstance(v, str) else v
                for k, v in c.arguments.items()
            },
        )
        for c in answer.calls
    )
    return Answer(calls=calls, text=answer.text.replace(BASE_URL, base_url))


@dataclass(frozen=True, slots=True)
class Generator:
    """One (primitive, level): a one-line description (the profile's ``testDescription``) and
    the function that makes an instance from a seeded RNG."""

    primitive: str
    level: int
    description: str
    make: Callable[[random.Random], Probe]

    @classmethod
    def of(cls, primitive: str, level: int, make: Callable[[random.Random], Probe]) -> Generator:
        """A generator described by its function's docstring."""
        return cls(primitive, level, " ".join((make.__doc__ or "").split()), make)

    @property
    def key(self) -> str:
        return f"{self.primitive}/L{self.level}"

    def instance(self, seed: int, index: int) -> Probe:
        """Instance ``index`` under ``seed``: the same arguments give the same probe."""
        return self.make(random.Random(f"{seed}/{self.key}/{index}"))
