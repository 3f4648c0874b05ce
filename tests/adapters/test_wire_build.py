"""The fast IR constructors build objects indistinguishable from the classes' own."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.ir import Message, TextPart, ToolCall, ToolResult
from adapters.wire._build import fast_constructor, message, text_part, tool_call, tool_result


def test_fast_objects_equal_class_objects() -> None:
    part = text_part("hi", ("a", 0))
    assert type(part) is TextPart
    assert part == TextPart("hi", ("a", 0))
    assert part.path == ("a", 0)
    assert hash(part) == hash(TextPart("hi"))
    assert repr(part) == repr(TextPart("hi"))
    assert text_part("x").path == ()  # defaults apply
    call = tool_call("id", "n", "{}")
    assert (call.kind, call.path) == ("function", ())
    assert call == ToolCall("id", "n", "{}")
    result = tool_result("id", (part,), True, ("p",))
    assert result == ToolResult("id", (TextPart("hi"),), True)
    assert result.text == "hi"
    msg = message("user", (part, result), ("m",))
    assert msg == Message("user", (TextPart("hi"), ToolResult("id", (TextPart("hi"),), True)))
    assert msg.texts() == (part, part)
    with pytest.raises(dataclasses.FrozenInstanceError):
        part.text = "changed"  # type: ignore[misc]
    assert dataclasses.replace(call, name="m").name == "m"


def test_classes_the_fast_path_cannot_serve_keep_their_constructor() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithPostInit:
        x: int

        def __post_init__(self) -> None:
            if self.x < 0:
                raise ValueError

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        xs: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        x: int

    assert fast_constructor(WithPostInit) is WithPostInit
    assert fast_constructor(WithFactory) is WithFactory
    assert fast_constructor(NoSlots) is NoSlots
