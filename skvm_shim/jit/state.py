"""The template state machine, as pure functions on a :class:`TemplateRecord`.

shadow --(N consecutive exact sessions)--> promoted --(K consecutive failed replays)--> shadow

- A session whose every predicted step (and the final answer, where predicted) equalled the
  model's is a *hit*: the streak grows; at ``promote_after`` the current spec is promoted.
- A prediction of the right shape (same tools, same argument keys) with other values is a
  *miss*: the streak restarts. A session that took a different path is not judged.
- Relearning that changes what the spec predicts restarts the streak; the promoted spec keeps
  replaying until the new one has earned promotion itself. A relearned spec that differs but
  predicts exactly what the old one did on every stored trace keeps the streak (``agrees``):
  the sessions that earned it were exact under both.
- A replayed step whose result failed counts against the promoted spec; ``demote_after``
  consecutive failures demote it; a success resets the count.
- A wrong prediction by the promoted spec itself (judged whenever the model answered a step
  it predicts: shadow mode, or a step it did not replay) demotes it at once.

Each function returns the event to report (a span event and a line in the record's history).
"""

from __future__ import annotations

import time

from skvm_shim.jit.records import TemplateEvent, TemplateRecord, TemplateSpec

MAX_EVENTS = 32


def on_hit(record: TemplateRecord, *, promote_after: int, session: str) -> TemplateEvent | None:
    record.hits += 1
    record.streak += 1
    _touch(record)
    if record.streak >= promote_after and not record.spec.same_prediction(record.promoted):
        record.promoted = record.spec.model_copy(deep=True)
        record.promotions += 1
        record.failures = 0
        return _event(record, "promoted", session, f"after {record.streak} exact sessions")
    return None


def on_miss(record: TemplateRecord, *, session: str, detail: str = "") -> TemplateEvent | None:
    record.misses += 1
    record.streak = 0
    _touch(record)
    return _event(record, "missed", session, detail) if detail else None


def on_promoted_miss(
    record: TemplateRecord, *, session: str, detail: str = ""
) -> TemplateEvent | None:
    """The spec that replays predicted the model wrongly (shadow mode, or a step it was not
    asked to replay): it is no longer exact, so it stops replaying."""
    _touch(record)
    if record.promoted is None:
        return None
    record.promoted = None
    record.failures = 0
    record.demotions += 1
    return _event(record, "demoted", session, f"mispredicted {detail}".strip())


def on_relearn(
    record: TemplateRecord, spec: TemplateSpec, *, session: str, agrees: bool = False
) -> TemplateEvent | None:
    changed = not spec.same_prediction(record.spec)
    record.spec = spec
    record.sessions += 1
    _touch(record)
    if not changed:
        return None
    if agrees:
        detail = f"from {spec.traces} traces, same predictions: streak {record.streak} kept"
        return _event(record, "relearned", session, detail)
    record.streak = 0
    return _event(record, "relearned", session, f"from {spec.traces} traces")


def on_replay(record: TemplateRecord) -> None:
    record.replays += 1
    _touch(record)


def on_replay_result(
    record: TemplateRecord, *, failed: bool, demote_after: int, session: str
) -> TemplateEvent | None:
    _touch(record)
    if not failed:
        record.failures = 0
        return None
    record.replay_failures += 1
    record.failures += 1
    if record.promoted is not None and record.failures >= demote_after:
        record.promoted = None
        record.streak = 0
        record.failures = 0
        record.demotions += 1
        return _event(record, "demoted", session, f"after {demote_after} failed replays")
    return _event(record, "replay_failed", session, f"{record.failures} in a row")


def _touch(record: TemplateRecord) -> None:
    record.updated_ns = time.time_ns()


def _event(record: TemplateRecord, kind: str, session: str, detail: str) -> TemplateEvent:
    event = TemplateEvent(kind=kind, session=session, detail=detail)
    record.events.append(event)
    del record.events[:-MAX_EVENTS]
    return event
