"""One structured request: JSON in the model's answer, validated with pydantic, malformed answers
retried a bounded number of times with the error fed back, everything reported."""

from __future__ import annotations

import json
import re
import time
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from compiler.llm.client import JsonLlm, LlmError

T = TypeVar("T", bound=BaseModel)

MAX_ATTEMPTS = 3
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.DOTALL)


class LlmCallReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    purpose: str
    model: str
    attempts: int
    ok: bool
    errors: tuple[str, ...] = ()
    duration_ms: float = 0.0


def parse_json_answer(text: str, output: type[T]) -> T:
    """Validate the answer; a single surrounding code fence is tolerated."""
    m = _FENCE.match(text)
    body = m.group("body") if m else text.strip()
    return output.model_validate(json.loads(body))


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"schema: {where}: {first['msg']} ({exc.error_count()} error(s))"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    return f"{type(exc).__name__}: {exc}"


def call_structured(
    llm: JsonLlm,
    *,
    purpose: str,
    system: str,
    user: str,
    output: type[T],
    max_attempts: int = MAX_ATTEMPTS,
) -> tuple[T | None, LlmCallReport]:
    start = time.perf_counter()
    messages: list[dict[str, str]] = [{"role": "user", "content": user}]
    schema = output.model_json_schema()
    errors: list[str] = []
    attempts = 0
    while attempts < max_attempts:
        attempts += 1
        try:
            text = llm.complete(
                system=system, messages=messages, schema_name=f"submit_{purpose}", schema=schema
            )
        except LlmError as exc:
            errors.append(f"attempt {attempts}: {exc}")
            break
        try:
            value = parse_json_answer(text, output)
        except (ValueError, ValidationError) as exc:
            problem = _short_error(exc)
            errors.append(f"attempt {attempts}: {problem}")
            messages = [
                *messages,
                {"role": "assistant", "content": text or "(empty)"},
                {
                    "role": "user",
                    "content": f"That answer was not valid ({problem}). Reply again with only "
                    "the JSON object, matching the schema exactly.",
                },
            ]
            continue
        report = LlmCallReport(
            purpose=purpose,
            model=llm.name,
            attempts=attempts,
            ok=True,
            errors=tuple(errors),
            duration_ms=(time.perf_counter() - start) * 1000,
        )
        return value, report
    report = LlmCallReport(
        purpose=purpose,
        model=llm.name,
        attempts=attempts,
        ok=False,
        errors=tuple(errors),
        duration_ms=(time.perf_counter() - start) * 1000,
    )
    return None, report
