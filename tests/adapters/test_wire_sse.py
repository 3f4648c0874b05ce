"""The incremental SSE decoder: line endings, chunk boundaries, the event-stream field rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.wire._sse import ServerSentEvent, SSEDecoder, encode_event


def _decode(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    out: list[ServerSentEvent] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    out.extend(decoder.finish())
    return out


def test_events_with_and_without_event_names() -> None:
    body = b'event: message_start\ndata: {"a":1}\n\ndata: {"b":2}\n\n'
    assert _decode([body]) == [
        ServerSentEvent("message_start", '{"a":1}'),
        ServerSentEvent(None, '{"b":2}'),
    ]


def test_crlf_cr_and_lf_line_endings_are_equivalent() -> None:
    lf = b"event: x\ndata: 1\n\ndata: 2\n\n"
    expected = _decode([lf])
    assert _decode([lf.replace(b"\n", b"\r\n")]) == expected
    assert _decode([lf.replace(b"\n", b"\r")]) == expected


def test_crlf_split_between_chunks_is_one_line_break() -> None:
    # "\r" ends one chunk and "\n" starts the next: one break, not an empty line in between
    # (an extra empty line would dispatch the event before its data line arrived).
    chunks = [b"event: x\r", b"\ndata: 1\r", b"\n\r", b"\n"]
    assert _decode(chunks) == [ServerSentEvent("x", "1")]


def test_comments_unknown_fields_and_multiline_data() -> None:
    body = b": keep-alive\nid: 7\nretry: 10\nfoo: bar\ndata: a\ndata: b\ndata\n\n"
    assert _decode([body]) == [ServerSentEvent(None, "a\nb\n")]


def test_value_keeps_all_but_one_leading_space() -> None:
    assert _decode([b"data:x\n\ndata:  y\n\n"]) == [
        ServerSentEvent(None, "x"),
        ServerSentEvent(None, " y"),
    ]


def test_utf8_split_inside_a_character_and_unicode_line_separators_kept() -> None:
    text = "é€😀\u2028\u0085\x1c"
    body = ("data: " + text + "\n\n").encode()
    chunks = [body[i : i + 1] for i in range(len(body))]
    assert _decode(chunks) == [ServerSentEvent(None, text)]


def test_unterminated_last_event_is_flushed_by_finish() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"x":1}') == []
    assert decoder.finish() == [ServerSentEvent(None, '{"x":1}')]


def test_encode_event_round_trips() -> None:
    body = encode_event(b'{"t":"\xc3\xa9"}', "ping") + encode_event(b"[DONE]")
    assert body == b'event: ping\ndata: {"t":"\xc3\xa9"}\n\ndata: [DONE]\n\n'
    assert _decode([body]) == [
        ServerSentEvent("ping", '{"t":"é"}'),
        ServerSentEvent(None, "[DONE]"),
    ]


_payload = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30
)


@given(
    events=st.lists(st.tuples(st.none() | st.sampled_from(["a", "b.c"]), _payload), max_size=6),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_decoding_is_independent_of_chunking(
    events: list[tuple[str | None, str]], newline: bytes, cuts: list[int]
) -> None:
    body = b"".join(encode_event(d.encode(), e) for e, d in events).replace(b"\n", newline)
    points = sorted({c % (len(body) + 1) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert _decode(chunks) == [ServerSentEvent(e, d) for e, d in events]
