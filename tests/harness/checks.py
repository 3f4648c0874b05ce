"""What every harness run through the proxy must show, and helpers to look inside bodies."""

from __future__ import annotations

import json
from typing import Any

from skvm_shim.telemetry import semconv
from tests.harness.scenario import Outcome, strings_in
from tests.harness.skill_variant import ANSWER, VARIANT_MARK, original_only_line


def located(body: Any, pattern: tuple[str | int, ...]) -> list[str]:
    """String values at paths matching ``pattern`` (``"*"`` matches any key or index)."""
    found = []
    for path, text in strings_in(body):
        if len(path) == len(pattern) and all(
            p in ("*", k) for p, k in zip(pattern, path, strict=True)
        ):
            found.append(text)
    return found


def assert_served_variant(outcome: Outcome, *, harness: str, calls: int) -> None:
    """The CLI finished with the scripted answer, and the upstream saw only the variant.

    ``calls`` is the least number of LLM calls the CLI must have made through the proxy.
    """
    finished = outcome.finished
    assert finished.returncode == 0, finished.describe()
    assert ANSWER in finished.stdout, finished.describe()

    llm = outcome.llm_requests
    assert len(llm) >= calls, f"{len(llm)} LLM calls reached the upstream, expected {calls}+"
    with_variant = [r for r in llm if VARIANT_MARK in json.dumps(r.body)]
    assert with_variant, "no request reached the upstream with the stored variant"
    original = original_only_line(outcome.skill)
    for request in llm:
        leaked = [path for path, text in strings_in(request.body) if original in text]
        assert not leaked, f"the original skill text reached the upstream at {leaked}"

    spans = outcome.llm_spans
    assert len(spans) == len(llm), f"{len(spans)} LLM spans for {len(llm)} upstream calls"
    harnesses = {(s.attributes or {}).get(semconv.HARNESS) for s in spans}
    assert harnesses == {harness}, f"spans recorded harness {harnesses}, expected {harness!r}"
    assert {(s.attributes or {}).get(semconv.MODE) for s in spans} == {"proxy"}
    rewritten = [s for s in spans if (s.attributes or {}).get(semconv.REWRITTEN) is True]
    assert len(rewritten) == len(with_variant), "spans disagree with what the upstream received"
    for span in rewritten:
        ids = (span.attributes or {}).get(semconv.VARIANT_IDS)
        assert isinstance(ids, tuple | list), f"span {span.name} names no variant"
        assert outcome.variant_id in ids, f"span {span.name} names variants {ids}"
