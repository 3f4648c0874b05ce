"""One INFO line per LLM call on the ``skvm_shim.calls`` logger: what the shim did with it.

``skvm-shim -v proxy`` (or ``logging.getLogger("skvm_shim").setLevel(logging.INFO)`` in a patched
harness) shows, per call, without a trace backend: the API, model, harness and session, the
skills listed and loaded, the variant served for each loaded skill and why, and the replay
decision and why, e.g.::

    call openai.chat_completions model=smollm2 harness=pi session=3f9c0a1b2c4d (new)
    skills=csv-stats(listed+loaded) variant=csv-stats:v-e6300c... (compiled by skvm-shim compile)
    replay=no (no promoted template; best in shadow 2/3)

(one line). The pipeline asks :func:`enabled` before anything else, so with logging off a call
pays one level check; the line, and the store reads behind its reasons, happen only when it is on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from skvm_shim.records import ORIGINAL
from skvm_shim.variants import bucket_of

if TYPE_CHECKING:
    from skvm_shim.pipeline import Call

log = logging.getLogger("skvm_shim.calls")

_KIND_LABELS = {
    "catalogue": "listed",
    "file": "loaded",
    "body": "loaded",
    "partial": "partial",
    "structured": "structured",
}
_ORIGINS = {"cli": "compiled by skvm-shim compile", "worker": "compiled in the background"}


def enabled() -> bool:
    return log.isEnabledFor(logging.INFO)


def emit(call: Call, *, passed_through: str | None = None) -> None:
    log.info("%s", line(call, passed_through=passed_through))


def line(call: Call, *, passed_through: str | None = None) -> str:
    """The call's line (see the module docstring)."""
    request = call.request
    model = (request.model if request is not None else None) or call.info.body.get("model")
    parts = [f"call {call.info.fmt.value}", f"model={model or '?'}", f"harness={call.harness}"]
    if passed_through is not None:
        parts.append(f"passed through unchanged: {passed_through}")
        return " ".join(parts)
    if call.session is not None:
        new = " (new)" if call.new_session else ""
        parts.append(f"session={call.session.id[:12]}{new}")
    parts.append(f"skills={_skills(call)}")
    parts.append(f"variant={_variants(call)}")
    parts.append(f"replay={_replay(call)}")
    if call.faults:
        parts.append(f"faults={','.join(call.faults)} (those stages were skipped)")
    return " ".join(parts)


def _skills(call: Call) -> str:
    kinds: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for d in call.detections:
        kinds.setdefault(d.skill_hash, set()).add(_KIND_LABELS.get(d.kind, d.kind))
        names[d.skill_hash] = d.skill_name or d.skill_hash[:12]
    if not kinds:
        return "none"
    labels = (f"{names[h]}({'+'.join(sorted(k))})" for h, k in kinds.items())
    return ",".join(sorted(labels))


def _variants(call: Call) -> str:
    loaded: dict[str, str] = {}
    for d in call.detections:
        if d.rewritable:
            loaded.setdefault(d.skill_hash, d.skill_name or d.skill_hash[:12])
    if not loaded:
        return "none (no skill loaded)"
    served = [f"{name}:{_served(call, h)}" for h, name in sorted(loaded.items(), key=_by_name)]
    return ",".join(served)


def _by_name(item: tuple[str, str]) -> str:
    return item[1]


def _served(call: Call, skill_hash: str) -> str:
    pipeline = call.pipeline
    session = call.session
    vid = session.pinned.get(skill_hash) if session is not None else None
    if session is None or vid is None:
        return "original (no variant chosen: the rewrite stage did not run)"
    selector = pipeline.selector
    if selector is None:
        return "original (no store)"
    if vid != ORIGINAL:
        record = selector.record(vid)
        if record is None:
            return f"{vid} (pinned, but its record is gone: the original is sent)"
        origin = _ORIGINS.get(str(record.provenance.get("origin")), "published")
        applied = "" if call.rewritten else "; its text was not found to replace"
        return f"{vid} ({origin}{applied})"
    model = pipeline.model_keys.key(call.request.model if call.request is not None else None)
    now = selector.choose(skill_hash, model, call.harness, bucket_of(session.id))
    if not now.known:
        then = (
            "compile requested"
            if pipeline.on_compile_request is not None
            else "background compilation is off"
        )
        keys = f"({model}, {call.harness})"
        if call.harness != "generic":
            keys += f" nor ({model}, generic)"
        return f"original (no variant for {keys}; {then})"
    if now.variant is not None:
        return (
            f"original (this session started with the original; {now.variant.id} serves new "
            "sessions)"
        )
    return (
        f"original (the variant set for ({model}, {call.harness}) serves this session the original)"
    )


def _replay(call: Call) -> str:
    if call.pipeline.replayer is None:
        return "off"
    if call.synthetic is not None:
        from skvm_shim.jit.replayer import ATTR_STEP, ATTR_TEMPLATE  # loaded: the JIT is on

        attributes = call.replay_attributes
        template = str(attributes.get(ATTR_TEMPLATE, "?"))[:12]
        return f"yes (template {template} step {attributes.get(ATTR_STEP, '?')})"
    if call.replay_declined is not None:
        return f"no ({call.replay_declined})"
    return "no"
