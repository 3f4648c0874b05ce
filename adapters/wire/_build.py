"""Fast constructors for the IR's frozen dataclasses, for the request-parsing hot path.

A frozen dataclass ``__init__`` sets each field through ``object.__setattr__`` by name, which costs
about twice as much as writing the slots directly. A request of a few hundred messages builds a
thousand parts, so the parsers build them with these functions instead: they are generated from
``dataclasses.fields`` (so new fields with defaults keep working), set every slot, and produce
objects equal in every way to the ones the class constructor builds. A class that is not a plain
slotted dataclass (``__post_init__``, default factories) gets its own constructor instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from adapters.ir import Message, TextPart, ToolCall, ToolResult

__all__ = ["message", "text_part", "tool_call", "tool_result"]

_T = TypeVar("_T")


def fast_constructor(cls: type[_T]) -> Callable[..., _T]:
    """A function with the signature of ``cls.__init__`` that fills the slots directly."""
    fields = dataclasses.fields(cast(Any, cls))
    slots = cls.__dict__.get("__slots__", ())
    if hasattr(cls, "__post_init__") or any(f.name not in slots for f in fields):
        return cls
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params: list[str] = []
    lines: list[str] = []
    for k, f in enumerate(fields):
        if f.default_factory is not dataclasses.MISSING:
            return cls
        namespace[f"_set{k}"] = cls.__dict__[f.name].__set__
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            namespace[f"_default{k}"] = f.default
            params.append(f"{f.name}=_default{k}")
        lines.append(f"    _set{k}(obj, {f.name})")
    source = (
        f"def build({', '.join(params)}):\n    obj = _new(_cls)\n"
        + "\n".join(lines)
        + "\n    return obj\n"
    )
    # The source is made only from the field names of our own IR classes above, never from input.
    exec(source, namespace)  # noqa: S102
    return cast(Callable[..., _T], namespace["build"])


if TYPE_CHECKING:  # the type checker sees the classes, so call sites keep their signatures
    text_part = TextPart
    tool_call = ToolCall
    tool_result = ToolResult
    message = Message
else:
    text_part = fast_constructor(TextPart)
    tool_call = fast_constructor(ToolCall)
    tool_result = fast_constructor(ToolResult)
    message = fast_constructor(Message)
