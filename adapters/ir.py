"""The provider-neutral intermediate representation (IR) of LLM calls.

Every wire format (OpenAI Chat Completions, OpenAI Responses, Anthropic Messages) parses into these
types and renders from them. They are plain frozen dataclasses rather than pydantic models because
they are built on every LLM call of every user (the request path), are never persisted, and must
cost microseconds; what is persisted (traces, templates, variants) is pydantic, in the store.

Request-side parts carry a ``path``: where their string lives in the original request body, so a
rewrite can replace exactly that string and leave every other byte of the body alone. ``path`` is
excluded from equality so that ``parse(render(x)) == x`` compares content, not location.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

PathKey = str | int
Path = tuple[PathKey, ...]
"""Location of a value inside a JSON body: keys and list indices from the root."""

Role = Literal["system", "developer", "user", "assistant", "tool"]
FinishReason = Literal["stop", "tool_calls", "length", "content_filter", "refusal", "other"]
ToolKind = Literal["function", "custom", "shell", "local_shell", "apply_patch"]
"""``function``/``custom`` calls exist in every OpenAI format; ``shell``, ``local_shell`` and
``apply_patch`` are Responses call items that the harness executes (the Agents SDK's shell and
apply-patch tools), kept apart so a replay renders them as the same item type."""


class WireFormat(enum.StrEnum):
    """The three wire formats the shim understands, named by their endpoint."""

    CHAT_COMPLETIONS = "openai.chat_completions"
    RESPONSES = "openai.responses"
    ANTHROPIC_MESSAGES = "anthropic.messages"

    @property
    def provider(self) -> str:
        """The ``gen_ai.provider.name`` value of the API family."""
        return "anthropic" if self is WireFormat.ANTHROPIC_MESSAGES else "openai"


@dataclass(frozen=True, slots=True)
class TextPart:
    """A piece of text in a message (system prompt, user text, assistant text)."""

    text: str
    path: Path = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the assistant asked for.

    ``arguments`` is the raw argument text as sent on the wire: a JSON object for function tools,
    free text for custom (freeform) tools such as Codex's ``apply_patch``. Where the wire carries a
    JSON object instead of text (Anthropic ``tool_use.input``, a Responses ``shell_call.action``
    or ``apply_patch_call.operation``) it is that object's canonical JSON text
    (``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``).
    """

    id: str
    name: str
    arguments: str
    kind: ToolKind = "function"
    path: Path = field(default=(), compare=False, repr=False)

    def parsed_arguments(self) -> Any:
        """The arguments as JSON, or the raw text when they are not a JSON document."""
        try:
            return json.loads(self.arguments)
        except (ValueError, TypeError):
            return self.arguments


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The output of a tool call, sent back by the harness in a later request.

    ``content`` holds the text parts of the output (each with its own path, so a skill body that a
    read tool returned can be rewritten in place). ``is_error`` is what the wire says (Anthropic's
    ``is_error``); ``None`` when the format has no such flag.
    """

    call_id: str
    content: tuple[TextPart, ...]
    is_error: bool | None = None
    path: Path = field(default=(), compare=False, repr=False)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.content)


Part = TextPart | ToolCall | ToolResult


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the conversation, in wire order.

    System prompts and instructions (Anthropic ``system``, Responses ``instructions``) become a
    leading message with role ``system`` so every format has one shape.
    """

    role: Role
    parts: tuple[Part, ...]
    path: Path = field(default=(), compare=False, repr=False)

    def texts(self) -> tuple[TextPart, ...]:
        """Every text part of the message, including the text inside tool results."""
        out: list[TextPart] = []
        for part in self.parts:
            if isinstance(part, TextPart):
                out.append(part)
            elif isinstance(part, ToolResult):
                out.extend(part.content)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the harness offers the model.

    ``kind`` is ``function`` or ``custom`` for tools the harness executes, else the hosted tool's
    type (``web_search``, ``shell``, ``code_execution_20250825``...). ``description`` is kept for
    display but is not part of equality or of the schema hash: Claude Code's tool descriptions
    change between sessions.
    """

    name: str
    kind: str = "function"
    parameters: Mapping[str, Any] | None = None
    description: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StructuredSkill:
    """A skill named in a structured request field rather than as prompt text.

    ``source`` is ``responses.shell.skills`` (OpenAI Responses shell-tool environment) or
    ``anthropic.container.skills``; the body lives server-side, so it is recorded, never rewritten.
    """

    source: str
    kind: str
    name: str | None = None
    skill_id: str | None = None
    version: str | None = None
    path: Path = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Request:
    """A parsed LLM request."""

    format: WireFormat
    model: str | None
    stream: bool
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    structured_skills: tuple[StructuredSkill, ...] = ()
    parallel_tool_calls: bool | None = None

    def tool_results(self) -> tuple[ToolResult, ...]:
        return tuple(p for m in self.messages for p in m.parts if isinstance(p, ToolResult))

    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(p for m in self.messages for p in m.parts if isinstance(p, ToolCall))


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the API reported them (``None`` when not reported)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """What the model answered: text and/or tool calls, with its metadata.

    It is both what a response parses into and what the shim renders when it answers a request
    itself (a synthesised turn).
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    id: str | None = None
    model: str | None = None


def tool_schema_hash(tools: tuple[ToolSpec, ...]) -> str:
    """Content hash of the tool set: names, kinds and parameter schemas, never descriptions.

    Order-independent, so a harness that lists its tools in another order keeps its templates.
    """
    canon = sorted(
        json.dumps(
            [t.name, t.kind, _without_descriptions(t.parameters)],
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        for t in tools
    )
    return hashlib.blake2b("\n".join(canon).encode(), digest_size=12).hexdigest()


def _without_descriptions(schema: Any) -> Any:
    """A JSON schema without its prose (description/title/examples), keeping property names."""
    if isinstance(schema, list):
        return [_without_descriptions(v) for v in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_PROSE:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: _without_descriptions(sub) for name, sub in value.items()}
        else:
            out[key] = _without_descriptions(value)
    return out


_SCHEMA_PROSE = frozenset({"description", "title", "examples", "$comment"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
