"""The pipeline every LLM call goes through, in patch mode and proxy mode alike.

``Pipeline.begin`` takes what the transport knows about a call (wire format, JSON body, headers)
and returns a :class:`Call`: the body to send upstream (skills swapped for their variants), or a
synthetic turn to answer with instead, and an :class:`Observer` for the response bytes. The
transport (the SDK patch or the proxy) only moves bytes; everything else happens here, once.

Fail open: each stage runs guarded; a fault is recorded on the call's span and the stage is
skipped, so the worst an internal error can do is leave the request as the harness sent it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from opentelemetry.trace import Span, SpanKind, Tracer

from adapters.harnesses import identify_harness
from adapters.ir import AssistantTurn, Request, ToolCall, ToolResult, WireFormat, tool_schema_hash
from adapters.wire import ResponseParser, WireCodec, codec_for
from skvm_shim import call_log
from skvm_shim.env_note import EnvNotes, with_env_notes
from skvm_shim.models import ModelKeys
from skvm_shim.parallel_calls import ATTRIBUTE as PARALLEL_ATTRIBUTE
from skvm_shim.parallel_calls import ask_parallel_tool_calls
from skvm_shim.records import COMPILE_REQUESTS, ORIGINAL, SKILLS, CompileRequest, SessionRecord
from skvm_shim.rewrite import rewrite
from skvm_shim.sessions import SessionTracker
from skvm_shim.skills.detect import Detection, Detector
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry
from skvm_shim.store import Store, join_key
from skvm_shim.telemetry import semconv
from skvm_shim.telemetry.session_roots import SessionRoots
from skvm_shim.telemetry.spans import (
    end_span,
    record_fault,
    session_context,
    set_attributes,
    start_span,
)
from skvm_shim.telemetry.tool_outcome import judge_tool_result
from skvm_shim.variants import Choice, VariantSelector, bucket_of

log = logging.getLogger("skvm_shim.pipeline")

Mode = Literal["patch", "proxy"]


@dataclass(frozen=True, slots=True)
class CallInfo:
    """What the transport knows about one LLM call."""

    fmt: WireFormat
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    mode: Mode = "patch"
    harness: str | None = None
    server_address: str | None = None
    server_port: int | None = None


@dataclass(frozen=True, slots=True)
class ReplayQuery:
    """What a replayer (JIT solidification) sees of a call."""

    request: Request
    session: SessionRecord
    harness: str
    skills: tuple[str, ...]
    tool_schema_hash: str
    loaded: tuple[str, ...] = ()
    """The skills whose whole text is in the request (file or body detections): a subset of
    ``skills``, which also holds skills only listed in a catalogue."""
    span: Span | None = None
    """The call's span, open during ``decide`` and ``observe``, for the replayer's events."""
    start_ns: int = 0
    """When the call began (``time.time_ns()``)."""


@dataclass(frozen=True, slots=True)
class ReplayDecision:
    """A replayer's answer with the span attributes to record once it reached the caller."""

    turn: AssistantTurn
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReplayDeclined:
    """A replayer's "no", with why: shown by the per-call log line (``skvm-shim -v``).

    Returning it is optional (``None`` declines too); it is never recorded on the span.
    """

    reason: str


class Replayer(Protocol):
    """Answers a request from learned tool-call templates instead of the model (or declines)."""

    def decide(
        self, query: ReplayQuery
    ) -> AssistantTurn | ReplayDecision | ReplayDeclined | None: ...

    def observe(self, query: ReplayQuery, turn: AssistantTurn) -> None: ...


@dataclass(frozen=True, slots=True)
class SyntheticResponse:
    status: int
    headers: dict[str, str]
    chunks: list[bytes]


class Pipeline:
    """Detection, variant rewrite, replay and observation, shared by every call of one shim."""

    def __init__(
        self,
        *,
        registry: SkillRegistry,
        store: Store | None,
        tracer: Tracer,
        harness: str | None = None,
        replayer: Replayer | None = None,
        on_compile_request: Callable[[CompileRequest], None] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.tracer = tracer
        self.harness = harness
        self.replayer = replayer
        self.on_compile_request = on_compile_request
        self.detector = Detector(registry, on_new_skill=self._persist_skill)
        self.sessions = SessionTracker(store)
        self.roots = SessionRoots(tracer)
        self.selector = VariantSelector(store) if store is not None else None
        self.model_keys = ModelKeys(store)
        self.env_notes: EnvNotes | None = None
        self._requested: set[str] = set()
        self._lock = threading.Lock()

    def begin(self, info: CallInfo) -> Call:
        """Prepare one call; never raises."""
        try:
            return self._begin(info)
        except Exception as exc:
            log.debug("pipeline failed before the call started; passing it through", exc_info=True)
            call = Call(
                self,
                info,
                codec_for(info.fmt),
                request=None,
                span=None,
                harness="generic",
                session=None,
            )
            if call_log.enabled():
                with contextlib.suppress(Exception):
                    call_log.emit(call, passed_through=f"internal fault ({type(exc).__name__})")
            return call

    def _begin(self, info: CallInfo) -> Call:
        start_ns = time.time_ns()
        codec = codec_for(info.fmt)
        faults: list[str] = []
        request: Request | None = None
        parse_error: Exception | None = None
        try:
            request = codec.parse_request(info.body)
        except Exception as exc:
            parse_error = exc
        harness = info.harness or self.harness or "generic"
        if info.harness is None and self.harness is None:
            try:
                harness = identify_harness(info.fmt, info.body, info.headers)
            except Exception as exc:
                parse_error = parse_error or exc
        session: SessionRecord | None = None
        new_session = False
        if request is not None:
            try:
                session, new_session = self.sessions.resolve(request, harness)
                if new_session:
                    session.tool_results_seen = _results_before_last_turn(request)
                session.root_span_id = self.roots.call_started(
                    session.id,
                    harness,
                    start_ns,
                    previous_root=None if new_session else session.root_span_id,
                    resume_from_ns=session.last_end_ns,
                )
            except Exception as exc:
                parse_error = parse_error or exc
        model = (request.model if request else None) or _str(info.body.get("model")) or "unknown"
        stream = request.stream if request else bool(info.body.get("stream"))
        attributes: dict[str, Any] = {
            semconv.OPERATION: "chat",
            semconv.PROVIDER: info.fmt.provider,
            semconv.REQUEST_MODEL: model,
            semconv.REQUEST_STREAM: stream,
            semconv.MODE: info.mode,
            semconv.WIRE_FORMAT: info.fmt.value,
            semconv.HARNESS: harness,
        }
        if session is not None:
            attributes[semconv.CONVERSATION_ID] = session.id
        if info.server_address:
            attributes[semconv.SERVER_ADDRESS] = info.server_address
        if info.server_port:
            attributes[semconv.SERVER_PORT] = info.server_port
        context = session_context(session.id, session.root_span_id) if session else None
        span = start_span(
            self.tracer,
            f"chat {model}",
            kind=SpanKind.CLIENT,
            context=context,
            attributes=attributes,
            start_ns=start_ns,
        )
        call = Call(
            self,
            info,
            codec,
            request=request,
            span=span,
            harness=harness,
            session=session,
            faults=faults,
            start_ns=start_ns,
        )
        call.new_session = new_session
        if parse_error is not None:
            record_fault(span, "parse", parse_error, faults)
        if request is None or session is None:
            if call_log.enabled():
                why = f"not parsed ({type(parse_error).__name__})" if parse_error else "no session"
                self._guard(call, "log", lambda: call_log.emit(call, passed_through=why))
            return call
        self._guard(call, "tools", lambda: self._report_tool_results(call, request, session))
        detections: list[Detection] = []

        def detect() -> None:
            detections.extend(self.detector.scan(request))

        self._guard(call, "detect", detect)
        call.detections = tuple(detections)
        if detections:
            self._guard(call, "rewrite", lambda: self._apply_variants(call, request, session))
        if self.replayer is not None:
            self._guard(call, "replay", lambda: self._decide_replay(call, request, session))
        self._guard(call, "span", lambda: self._describe(call))
        if call_log.enabled():
            self._guard(call, "log", lambda: call_log.emit(call))
        self._guard(call, "session", lambda: self._touch_session(session, request))
        return call

    def close(self) -> None:
        """End the open session root spans (the shim stops); calls still work after it."""
        self.roots.close()

    def _guard(self, call: Call, stage: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:
            record_fault(call.span_or_invalid, stage, exc, call.faults)

    # -- stages ---------------------------------------------------------------------------------

    def _report_tool_results(self, call: Call, request: Request, session: SessionRecord) -> None:
        results = request.tool_results()
        if len(results) <= session.tool_results_seen:
            session.tool_results_seen = min(session.tool_results_seen, len(results))
            return
        names = {c.id: c for c in request.tool_calls()}
        end_ns = call.start_ns
        start_ns = session.last_end_ns or end_ns
        context = session_context(session.id, session.root_span_id)
        for result in results[session.tool_results_seen :]:
            call_part: ToolCall | None = names.get(result.call_id)
            outcome = judge_tool_result(
                result.text,
                result.is_error,
                tool=call_part.name if call_part else None,
                harness=call.harness,
                fmt=request.format,
            )
            failed = outcome.failed
            name = call_part.name if call_part else "unknown"
            attributes = {
                semconv.OPERATION: "execute_tool",
                semconv.TOOL_NAME: name,
                semconv.TOOL_CALL_ID: result.call_id,
                semconv.TOOL_TYPE: call_part.kind if call_part else "function",
                semconv.CONVERSATION_ID: session.id,
                semconv.TOOL_OUTCOME: "failure" if failed else "success",
            }
            if outcome.reason:
                attributes[semconv.TOOL_OUTCOME_REASON] = outcome.reason
            tool_span = start_span(
                self.tracer,
                f"execute_tool {name}",
                kind=SpanKind.INTERNAL,
                context=context,
                attributes=attributes,
                start_ns=min(start_ns, end_ns),
            )
            end_span(tool_span, error_type="tool_error" if failed else None, end_ns=end_ns)
        session.tool_results_seen = len(results)

    def _apply_variants(self, call: Call, request: Request, session: SessionRecord) -> None:
        model = self.model_keys.key(request.model)
        planned = []
        chosen: dict[str, str] = {}
        for detection in call.detections:
            if detection.kind in ("structured",) or detection.skill_hash in chosen:
                continue
            choice = self._choose(detection, model, call.harness, session)
            if detection.rewritable:
                session.pinned.setdefault(detection.skill_hash, choice.variant_id)
                chosen[detection.skill_hash] = choice.variant_id
            if not choice.known:
                self._request_compile(detection, model, call.harness)
        call.variant_ids = tuple(sorted(set(chosen.values())))
        for detection in call.detections:
            vid = chosen.get(detection.skill_hash)
            if vid and vid != ORIGINAL and detection.rewritable and self.selector is not None:
                variant = self.selector.record(vid)
                if variant is not None:
                    planned.append((detection, variant))
        if planned:
            result = rewrite(call.body, with_env_notes(planned, session.id, self.env_notes))
            call.body = result.body
            call.rewritten = result.replaced
            call.bytes_saved = result.bytes_saved
            call.body, parallel = ask_parallel_tool_calls(
                call.info.fmt, call.body, (v for _, v in planned)
            )
            set_attributes(call.span_or_invalid, {PARALLEL_ATTRIBUTE: parallel})

    def _choose(
        self, detection: Detection, model: str, harness: str, session: SessionRecord
    ) -> Choice:
        if self.selector is None:
            return Choice(None, True)
        pinned = session.pinned.get(detection.skill_hash)
        if pinned is not None:
            return Choice(self.selector.record(pinned), True)
        return self.selector.choose(detection.skill_hash, model, harness, bucket_of(session.id))

    def _request_compile(self, detection: Detection, model: str, harness: str) -> None:
        key = join_key(detection.skill_hash, model, harness)
        with self._lock:
            if key in self._requested:
                return
            self._requested.add(key)
        request = CompileRequest(
            skill_hash=detection.skill_hash,
            skill_name=detection.skill_name,
            model=model,
            harness=harness,
        )
        if self.store is not None:
            self.store.put_later(COMPILE_REQUESTS, key, request)
        if self.on_compile_request is not None:
            self.on_compile_request(request)

    def _decide_replay(self, call: Call, request: Request, session: SessionRecord) -> None:
        assert self.replayer is not None
        query = ReplayQuery(
            request=request,
            session=session,
            harness=call.harness,
            skills=tuple(sorted({d.skill_hash for d in call.detections})),
            tool_schema_hash=tool_schema_hash(request.tools),
            loaded=tuple(sorted({d.skill_hash for d in call.detections if d.rewritable})),
            span=call.span,
            start_ns=call.start_ns,
        )
        call.replay_query = query
        decision = self.replayer.decide(query)
        if isinstance(decision, ReplayDecision):
            call.synthetic = decision.turn
            call.replay_attributes = dict(decision.attributes)
        elif isinstance(decision, ReplayDeclined):
            call.replay_declined = decision.reason
        else:
            call.synthetic = decision

    def _describe(self, call: Call) -> None:
        by_kind: dict[str, set[str]] = {}
        for d in call.detections:
            label = f"{d.skill_name or '?'}@{d.skill_hash[:12]}"
            by_kind.setdefault(d.kind, set()).add(label)
        whole = by_kind.get("file", set()) | by_kind.get("body", set())
        set_attributes(
            call.span_or_invalid,
            {
                semconv.SKILLS_DETECTED: sorted(whole) or None,
                semconv.SKILLS_LISTED: sorted(by_kind.get("catalogue", ())) or None,
                semconv.SKILLS_PARTIAL: sorted(by_kind.get("partial", ())) or None,
                semconv.SKILLS_STRUCTURED: sorted(by_kind.get("structured", ())) or None,
                semconv.VARIANT_IDS: list(call.variant_ids) or None,
                semconv.REWRITTEN: call.rewritten > 0,
                semconv.BYTES_SAVED: call.bytes_saved if call.rewritten else None,
                semconv.SYNTHETIC: call.synthetic is not None or None,
            },
        )

    def _touch_session(self, session: SessionRecord, request: Request) -> None:
        self.sessions.seen(session, request)

    def _persist_skill(self, skill: Skill) -> None:
        if self.store is not None:
            self.store.put_later(SKILLS, skill.hash, skill)


class Call:
    """One LLM call in flight: what to send, what to answer, and its span."""

    def __init__(
        self,
        pipeline: Pipeline,
        info: CallInfo,
        codec: WireCodec,
        *,
        request: Request | None,
        span: Span | None,
        harness: str,
        session: SessionRecord | None,
        faults: list[str] | None = None,
        start_ns: int | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.info = info
        self.codec = codec
        self.request = request
        self.span = span
        self.harness = harness
        self.session = session
        self.faults = faults if faults is not None else []
        self.start_ns = start_ns or time.time_ns()
        self.body: Mapping[str, Any] = info.body
        self.detections: tuple[Detection, ...] = ()
        self.variant_ids: tuple[str, ...] = ()
        self.rewritten = 0
        self.bytes_saved = 0
        self.synthetic: AssistantTurn | None = None
        self.replay_query: ReplayQuery | None = None
        self.replay_attributes: dict[str, Any] = {}
        self.replay_declined: str | None = None
        self.new_session = False
        self._rendered: AssistantTurn | None = None
        self._ended = False
        self._end_lock = threading.Lock()

    @property
    def span_or_invalid(self) -> Span:
        from opentelemetry.trace import INVALID_SPAN

        return self.span if self.span is not None else INVALID_SPAN

    @property
    def stream(self) -> bool:
        if self.request is not None:
            return self.request.stream
        return bool(self.info.body.get("stream"))

    def record_fault(self, stage: str, exc: BaseException) -> None:
        record_fault(self.span_or_invalid, stage, exc, self.faults)

    def observer(
        self, *, status: int = 200, content_encoding: str | None = None, stream: bool | None = None
    ) -> Observer:
        """An observer for the response body; feed it bytes as they pass, then finish it."""
        return Observer(
            self,
            status=status,
            stream=self.stream if stream is None else stream,
            content_encoding=content_encoding,
        )

    def synthesize(self) -> SyntheticResponse:
        """The synthetic turn as an HTTP response in the request's wire format."""
        assert self.synthetic is not None
        turn = self.synthetic
        if turn.model is None and self.request is not None and self.request.model:
            turn = AssistantTurn(
                text=turn.text,
                tool_calls=turn.tool_calls,
                finish_reason=turn.finish_reason,
                usage=turn.usage,
                id=turn.id,
                model=self.request.model,
            )
        if self.stream:
            chunks = self.codec.render_sse(turn)
            headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
        else:
            chunks = [self.codec.render_json(turn)]
            headers = {"content-type": "application/json"}
        headers["x-skvm-synthetic"] = "1"
        self._rendered = turn
        return SyntheticResponse(200, headers, chunks)

    def complete_synthetic(self) -> None:
        """The synthetic answer reached the caller: close the call's span as answered."""
        turn = self._rendered or self.synthetic
        if turn is not None:
            set_attributes(
                self.span_or_invalid, {semconv.SYNTHETIC: True, **self.replay_attributes}
            )
            self._finish_turn(turn, synthetic=True)

    def fail(self, error: BaseException | None = None, *, status: int | None = None) -> None:
        """The call failed upstream (status error, timeout, connection); ends the span."""
        if error is not None:
            error_type = type(error).__qualname__
            status = status or getattr(error, "status_code", None)
        else:
            error_type = str(status or "error")
        if status is not None:
            set_attributes(self.span_or_invalid, {"http.response.status_code": status})
        self._end(error_type=error_type)

    def _finish_turn(
        self,
        turn: AssistantTurn,
        *,
        synthetic: bool = False,
        error: str | None = None,
        incomplete: bool = False,
        ttfc: float | None = None,
    ) -> None:
        usage = turn.usage
        set_attributes(
            self.span_or_invalid,
            {
                semconv.RESPONSE_MODEL: turn.model,
                semconv.RESPONSE_ID: turn.id,
                semconv.FINISH_REASONS: [turn.finish_reason] if turn.finish_reason else None,
                semconv.INPUT_TOKENS: usage.input_tokens if usage else None,
                semconv.OUTPUT_TOKENS: usage.output_tokens if usage else None,
                semconv.CACHE_READ_TOKENS: usage.cache_read_tokens if usage else None,
                semconv.CACHE_CREATION_TOKENS: usage.cache_creation_tokens if usage else None,
                semconv.REASONING_TOKENS: usage.reasoning_tokens if usage else None,
                semconv.TIME_TO_FIRST_CHUNK: ttfc,
                semconv.STREAM_CUT: incomplete or None,
            },
        )
        if not synthetic and error is None and self.replay_query is not None:
            replayer = self.pipeline.replayer
            if replayer is not None:
                try:
                    replayer.observe(self.replay_query, turn)
                except Exception as exc:
                    self.record_fault("replay.observe", exc)
        self._end(error_type=error)

    def _end(self, *, error_type: str | None = None) -> None:
        with self._end_lock:
            if self._ended:
                return
            self._ended = True
        end_ns = time.time_ns()
        if self.session is not None:
            self.session.last_end_ns = end_ns
            self.pipeline.roots.call_ended(self.session.id, end_ns)
        if self.span is not None:
            end_span(self.span, error_type=error_type, end_ns=end_ns)


class Observer:
    """Watches a response body pass by (a tee): parses it and completes the call's span.

    ``feed`` and ``finish`` never raise; a body the observer cannot decode is simply not parsed.
    """

    def __init__(
        self, call: Call, *, status: int, stream: bool, content_encoding: str | None
    ) -> None:
        self.call = call
        self.status = status
        self._parser: ResponseParser | None = None
        self._decoder: Any = None
        self._first_ns: int | None = None
        self._done = False
        self._error_body = bytearray()
        try:
            encoding = (content_encoding or "identity").strip().lower()
            if encoding in ("gzip", "x-gzip"):
                self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
            elif encoding == "deflate":
                self._decoder = zlib.decompressobj()
            elif encoding not in ("identity", ""):
                raise ValueError(f"content-encoding {encoding!r} is not observed")
            if status < 400:
                self._parser = call.codec.response_parser(stream=stream)
        except Exception as exc:
            call.record_fault("observe", exc)

    def feed(self, data: bytes) -> None:
        if self._done or not data:
            return
        if self._first_ns is None:
            self._first_ns = time.time_ns()
        try:
            if self._decoder is not None:
                data = self._decoder.decompress(data)
            if self._parser is not None:
                self._parser.feed(data)
            elif len(self._error_body) < 65_536:
                self._error_body.extend(data[: 65_536 - len(self._error_body)])
        except Exception as exc:
            self._parser = None
            self.call.record_fault("observe", exc)

    def finish(self, *, incomplete: bool = False, error: BaseException | None = None) -> None:
        if self._done:
            return
        self._done = True
        try:
            if self.status >= 400:
                self.call.fail(status=self.status)
                return
            if error is not None:
                self.call.fail(error)
                return
            turn = self._parser.finish() if self._parser is not None else AssistantTurn()
            parser_error = self._parser.error if self._parser is not None else None
            if incomplete and self._parser is not None:
                # The SDK may close the response right after the terminal event, before the tee
                # sees the end of the body: the stream is complete if the parser saw its end.
                incomplete = not self._parser.complete
            ttfc = (
                (self._first_ns - self.call.start_ns) / 1e9
                if self._first_ns is not None and self.call.stream
                else None
            )
            self.call._finish_turn(
                turn,
                error="stream_error"
                if parser_error
                else ("incomplete_stream" if incomplete else None),
                incomplete=incomplete,
                ttfc=ttfc,
            )
        except Exception as exc:
            self.call.record_fault("observe", exc)
            self.call._end()


def _results_before_last_turn(request: Request) -> int:
    """Tool results a new session already carried before its latest assistant turn."""
    count = 0
    seen = 0
    for message in request.messages:
        if message.role == "assistant":
            count = seen
        seen += sum(1 for p in message.parts if isinstance(p, ToolResult))
    return count


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
