"""The script models and the turn queue, without HTTP."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from skvm_shim.testing._render import split
from skvm_shim.testing._state import UpstreamState
from skvm_shim.testing.script import NO_TURN_TEXT, ToolCall, Turn, as_turn, load_script


def _take(
    state: UpstreamState, endpoint: str = "chat", body: object = None
) -> tuple[int | None, Turn]:
    body = {"model": "m"} if body is None else body
    return state.take(endpoint, json.dumps(body), body)


def test_shorthands() -> None:
    assert as_turn("hi") == Turn(text="hi")
    assert Turn.model_validate({"error": 429}).error is not None
    assert Turn.model_validate({"error": 429}).error.status == 429
    assert Turn.model_validate({"endpoint": "anthropic.messages"}).endpoint == "messages"
    assert Turn.model_validate({"endpoint": "openai.chat_completions"}).endpoint == "chat"


def test_invalid_turns_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Turn(text="x", error={"status": 500})
    with pytest.raises(ValidationError):
        Turn(match_regex="(unclosed")
    with pytest.raises(ValidationError):
        Turn(error={"status": 200})
    with pytest.raises(ValidationError):
        Turn(endpoint="completions")
    with pytest.raises(ValidationError):
        Turn(texte="typo")


def test_load_script_accepts_list_and_object() -> None:
    as_list = load_script(["a", {"tool_calls": [{"name": "read", "arguments": {"p": 1}}]}])
    assert [t.text for t in as_list.turns] == ["a", None]
    assert as_list.turns[1].tool_calls == (ToolCall(name="read", arguments={"p": 1}),)
    as_object = load_script({"turns": ["a"], "default": "nothing here"})
    assert as_object.default == Turn(text="nothing here")
    assert as_object.turns == (Turn(text="a"),)


def test_fifo_then_default() -> None:
    state = UpstreamState([Turn(text="one"), Turn(text="two")])
    assert _take(state) == (0, Turn(text="one"))
    assert _take(state) == (1, Turn(text="two"))
    index, turn = _take(state)
    assert index is None
    assert turn.text == NO_TURN_TEXT


def test_configured_default_and_reset_restores_it() -> None:
    state = UpstreamState(default=Turn(text="fallback"))
    assert _take(state)[1].text == "fallback"
    state.set_default(Turn(error={"status": 503}))
    assert _take(state)[1].error is not None
    state.add([Turn(text="queued")])
    state.reset()
    assert state.pending() == []
    assert _take(state)[1].text == "fallback"


def test_endpoint_filter_skips_without_consuming() -> None:
    state = UpstreamState([Turn(text="for messages", endpoint="messages"), Turn(text="any")])
    assert _take(state, "chat")[1].text == "any"
    assert _take(state, "messages")[1].text == "for messages"
    assert state.pending() == []


def test_match_substring_in_raw_body_and_in_decoded_strings() -> None:
    quoted = Turn(text="quoted", match='say "hi"\n')
    unicode = Turn(text="unicode", match="héllo")
    key = Turn(text="key", match='"tool_choice"')
    state = UpstreamState([quoted, unicode, key])
    ascii_body = {"messages": [{"content": "héllo"}]}
    # json.dumps escapes non-ASCII and quotes: the decoded string values must still match.
    assert state.take("chat", json.dumps(ascii_body), ascii_body)[1] is unicode
    quote_body = {"input": 'please say "hi"\n now'}
    assert state.take("responses", json.dumps(quote_body), quote_body)[1] is quoted
    key_body = {"tool_choice": "auto"}
    assert state.take("chat", json.dumps(key_body), key_body)[1] is key


def test_match_regex_and_all_filters_must_hold() -> None:
    both = Turn(text="both", endpoint="responses", match_regex=r"skill-\d+")
    state = UpstreamState([both])
    body = {"input": "use skill-42"}
    assert state.take("chat", json.dumps(body), body)[0] is None
    other = {"input": "use skill-x"}
    assert state.take("responses", json.dumps(other), other)[0] is None
    assert state.take("responses", json.dumps(body), body)[1] is both


def test_repeat_turn_is_not_consumed() -> None:
    state = UpstreamState([Turn(text="again", repeat=True), Turn(text="never")])
    for _ in range(3):
        assert _take(state) == (0, Turn(text="again", repeat=True))
    assert len(state.pending()) == 2


def test_indices_continue_across_add_and_restart_after_reset() -> None:
    state = UpstreamState([Turn(text="a")])
    state.add([Turn(text="b")])
    assert [_take(state)[0], _take(state)[0]] == [0, 1]
    state.reset()
    state.add([Turn(text="c")])
    assert _take(state)[0] == 0


def test_concurrent_takes_consume_each_turn_once() -> None:
    turns = [Turn(text=str(i)) for i in range(400)]
    state = UpstreamState(turns)
    taken: list[int | None] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            index, _turn = _take(state)
            with lock:
                taken.append(index)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(i for i in taken if i is not None) == list(range(400))


@given(st.text(max_size=200), st.integers(min_value=1, max_value=12))
def test_split_is_lossless_and_bounded(text: str, parts: int) -> None:
    pieces = split(text, parts)
    assert "".join(pieces) == text
    assert len(pieces) <= parts
    assert all(pieces)
    if parts > 1 and len(text) > 1:
        assert len(pieces) > 1  # a stream really is split into several deltas
