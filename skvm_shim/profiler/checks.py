"""Small, strict building blocks for probe checks: files, numbers, JSON, programs, words.

Programs the model wrote are run here the way a grader runs a submission: in the work directory,
with a timeout, in their own process group. ``python3`` is the profiler's own interpreter (the
probes' tool environment puts it first on PATH), so a check and the model see the same one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skvm_shim.profiler.probe import Attempt, Check, InfraError

PROGRAM_TIMEOUT_S = 20.0
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_FENCE = re.compile(r"^```[\w-]*\s*\n(.*?)\n```\s*$", re.DOTALL)
_WORD = re.compile(r"[A-Za-z']+")


# -- files ----------------------------------------------------------------------------------------


def text_of(attempt: Attempt, name: str) -> str | None:
    path = attempt.workdir / name
    if not path.is_file():
        return None
    return path.read_bytes().decode("utf-8", errors="replace")


def file_exists(attempt: Attempt, name: str) -> Check:
    ok = (attempt.workdir / name).is_file()
    return Check(f"{name} exists", ok, "" if ok else "not written")


def same_text(name: str, actual: str | None, expected: str) -> Check:
    """Equal up to trailing whitespace at the end (a final newline is not a difference)."""
    if actual is None:
        return Check(f"{name} content", False, "missing")
    if actual.rstrip() == expected.rstrip():
        return Check(f"{name} content", True)
    want, got = expected.rstrip().split("\n"), actual.rstrip().split("\n")
    for i, (w, g) in enumerate(zip(want, got, strict=False), start=1):
        if w != g:
            return Check(
                f"{name} content", False, f"line {i}: expected {_short(w)}, got {_short(g)}"
            )
    return Check(f"{name} content", False, f"expected {len(want)} lines, got {len(got)}")


def file_is(attempt: Attempt, name: str, expected: str) -> Check:
    return same_text(name, text_of(attempt, name), expected)


def lines_of(text: str | None) -> list[str]:
    return [] if text is None else [line.rstrip() for line in text.strip().splitlines()]


def _short(text: str, limit: int = 80) -> str:
    flat = text.strip().replace("\n", "\\n")
    return repr(flat if len(flat) <= limit else flat[:limit] + "...")


# -- numbers --------------------------------------------------------------------------------------


def numbers(text: str) -> list[float]:
    """Every number in ``text`` (thousands separators removed)."""
    out: list[float] = []
    for match in _NUMBER.finditer(text):
        token = match.group().replace(",", "")
        try:
            out.append(float(token))
        except ValueError:
            continue
    return out


def last_number(text: str | None) -> float | None:
    found = numbers(text or "")
    return found[-1] if found else None


def close(name: str, actual: float | None, expected: float, tolerance: float) -> Check:
    if actual is None:
        return Check(name, False, f"no number found (expected {expected:g})")
    ok = math.isfinite(actual) and abs(actual - expected) <= tolerance
    within = f" ± {tolerance:g}" if tolerance > 1e-6 else ""
    return Check(name, ok, "" if ok else f"expected {expected:g}{within}, got {actual:g}")


def number_in_file(attempt: Attempt, name: str, expected: float, tolerance: float = 0.0) -> Check:
    text = text_of(attempt, name)
    if text is None:
        return Check(f"{name} value", False, "missing")
    return close(f"{name} value", last_number(text), expected, tolerance + 1e-9)


def answer_number(attempt: Attempt, expected: float, tolerance: float) -> Check:
    return close("answer value", last_number(attempt.answer), expected, tolerance + 1e-9)


# -- JSON -----------------------------------------------------------------------------------------


def json_from(text: str | None) -> Any:
    """The JSON value in ``text``: the whole text (fences allowed), else the first object or
    array that parses. Raises ValueError when there is none."""
    if text is None:
        raise ValueError("missing")
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(body):
        if ch in "[{":
            try:
                return decoder.raw_decode(body[i:])[0]
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON value found")


def json_equal(name: str, text: str | None, expected: Any) -> Check:
    try:
        value = json_from(text)
    except ValueError as exc:
        return Check(name, False, str(exc))
    difference = first_difference(expected, value)
    return Check(name, difference is None, difference or "")


def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where ``actual`` first differs from ``expected`` (numbers by value), or None."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return f"{path}: expected keys {sorted(expected)}, got {sorted(actual)}"
        for key in expected:
            found = first_difference(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            found = first_difference(e, a, f"{path}[{i}]")
            if found:
                return found
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        return None
    if _canon(expected) == _canon(actual):
        return None
    return f"{path}: expected {_short(json.dumps(expected))}, got {_short(json.dumps(actual))}"


def _canon(value: Any) -> Any:
    """Numbers compared by value (1 == 1.0); booleans, strings and null never equal a number."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", round(float(value), 9))
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    return (type(value).__name__, value)


# -- words and sentences --------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str) -> list[str]:
    """Sentences ended by . ! or ? (a trailing fragment counts as one)."""
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+", flat) if re.search(r"[A-Za-z]", s)]


def has_word(text: str, word: str, *, case: bool = False) -> bool:
    flags = 0 if case else re.IGNORECASE
    return re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text, flags) is not None


def count_word(text: str, word: str) -> int:
    return len(re.findall(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text, re.IGNORECASE))


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def headed_sections(text: str, marker: str = "## ") -> list[tuple[str, str]]:
    """(heading, body) for every line starting with ``marker``."""
    out: list[tuple[str, str]] = []
    current: tuple[str, list[str]] | None = None
    for line in text.splitlines():
        if line.startswith(marker):
            if current is not None:
                out.append((current[0], "\n".join(current[1]).strip()))
            current = (line[len(marker) :].strip(), [])
        elif current is not None:
            current[1].append(line)
    if current is not None:
        out.append((current[0], "\n".join(current[1]).strip()))
    return out


def all_ok(name: str, failures: Iterable[str]) -> Check:
    bad = list(failures)
    return Check(name, not bad, "; ".join(bad[:3]) + (" ..." if len(bad) > 3 else ""))


# -- programs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finished:
    code: int | None
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.code is None

    def describe(self) -> str:
        if self.code is None:
            return "timed out"
        tail = self.stderr.strip().splitlines()[-1:] if self.stderr.strip() else []
        return f"exit {self.code}" + (f": {tail[0][:120]}" if tail else "")


def interpreter(kind: str) -> str:
    """The program that runs ``python``, ``node``, ``bash`` or ``sqlite3`` code."""
    if kind == "python":
        return sys.executable
    found = shutil.which(kind)
    if found is None:
        raise InfraError(f"{kind} is not installed")
    return found


def run_program(argv: Sequence[str], cwd: Path, *, stdin: str | None = None) -> Finished:
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=probe_env(),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=PROGRAM_TIMEOUT_S)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    return Finished(code, out, err)


def probe_env() -> dict[str, str]:
    """The environment of the probes' commands: this interpreter's folder first on PATH."""
    from skvm_shim.bare_agent import command_env

    env = command_env()
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def ran(name: str, done: Finished) -> Check:
    ok = done.code == 0
    return Check(f"{name} runs", ok, "" if ok else done.describe())


def source_has(attempt: Attempt, name: str, pattern: str, what: str) -> Check:
    text = text_of(attempt, name)
    ok = text is not None and re.search(pattern, text) is not None
    return Check(f"{name} uses {what}", ok, "" if ok else f"no {what} in {name}")


Judge = Callable[[str | None], Check]


def program_cases(
    attempt: Attempt,
    script: str,
    argv: Sequence[str],
    cases: Sequence[tuple[str, Mapping[str, str], Judge]],
    *,
    output: str | None,
) -> list[Check]:
    """Run the model's ``script`` once per case, each time in a fresh copy of the work directory
    with the case's input files swapped in, and judge what it wrote to ``output`` (its stdout
    when ``output`` is None). A hidden case catches answers hard-coded for the visible input."""
    if not (attempt.workdir / script).is_file():
        return [Check(f"{script} exists", False, "not written")]
    checks: list[Check] = []
    for label, replace, judge in cases:
        with tempfile.TemporaryDirectory(prefix="skvm-check-") as tmp:
            root = Path(tmp) / "w"
            shutil.copytree(attempt.workdir, root, symlinks=True)
            for name, content in replace.items():
                (root / name).write_text(content, encoding="utf-8")
            if output is not None:
                (root / output).unlink(missing_ok=True)
            done = run_program(argv, root)
            if output is None:
                result: str | None = done.stdout
            else:
                target = root / output
                result = target.read_text("utf-8", errors="replace") if target.is_file() else None
        if done.code != 0:
            checks.append(Check(f"{label}: {script} runs", False, done.describe()))
            continue
        verdict = judge(result)
        checks.append(Check(f"{label}: {verdict.name}", verdict.ok, verdict.detail))
    return checks


def number_judge(name: str, expected: float, tolerance: float = 0.0) -> Judge:
    def judge(out: str | None) -> Check:
        if out is None:
            return Check(name, False, "missing")
        return close(name, last_number(out), expected, tolerance + 1e-9)

    return judge


def text_judge(name: str, expected: str) -> Judge:
    return lambda out: same_text(name, out, expected)


def json_judge(name: str, expected: Any) -> Judge:
    return lambda out: json_equal(name, out, expected)
