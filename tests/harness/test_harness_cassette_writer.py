"""The recording relay and the cassette writer that re-recordings (SKVM_RECORD=1) rely on."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from skvm_shim.testing.script import Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.harness.cassette_files import PROXY_PLACEHOLDER, load_cassette, write_cassette
from tests.harness.recorder import RecordingRelay

KEY = "sk-writer-test-secret-51ab"


def _record(upstream: ScriptedUpstream, body: dict[str, object]) -> RecordingRelay:
    # One delta per answer, so the text is whole in the recorded stream.
    upstream.script(
        Turn(text="first answer", stream_deltas=1), Turn(text="second answer", stream_deltas=1)
    )
    relay = RecordingRelay(upstream.base_url)
    with relay, httpx2.Client(base_url=relay.base_url) as client:
        for _ in range(2):
            with client.stream(
                "POST",
                "/v1/messages?beta=true",
                json=body,
                headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"},
            ) as response:
                assert response.status_code == 200
                assert "answer" in response.read().decode()
    return relay


def test_relay_records_what_passed_and_the_writer_drops_credentials(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    body = {
        "model": "m",
        "stream": True,
        "max_tokens": 10,
        "messages": [{"role": "user", "content": f"read {tmp_path}/project/SKILL.md"}],
    }
    relay = _record(upstream, body)
    exchanges = relay.exchanges
    assert [e.seq for e in exchanges] == [1, 2]
    # The relay forwarded the request unchanged, credentials included.
    assert upstream.requests[0].headers["x-api-key"] == KEY
    assert upstream.requests[0].query == "beta=true"

    path = tmp_path / "out.yaml"
    write_cassette(
        path,
        exchanges,
        meta={"harness": "test"},
        replacements={str(tmp_path): "/run"},
        secrets=[KEY],
        forbidden=[str(tmp_path)],
    )
    text = path.read_text()
    assert KEY not in text
    assert "x-api-key" not in text.lower()
    cassette = load_cassette(path)
    assert [i.uri for i in cassette.interactions] == [
        f"{PROXY_PLACEHOLDER}/v1/messages?beta=true"
    ] * 2
    first = cassette.interactions[0]
    assert first.body["messages"][0]["content"] == "read /run/project/SKILL.md"
    assert "first answer" in first.response_body
    assert "second answer" in cassette.interactions[1].response_body
    assert first.response_headers["content-type"].startswith("text/event-stream")


def test_writer_refuses_a_secret_or_a_path_it_could_not_replace(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": KEY}]}
    exchanges = _record(upstream, body).exchanges
    path = tmp_path / "out.yaml"
    with pytest.raises(ValueError, match="credential"):
        write_cassette(path, exchanges, meta={}, replacements={}, secrets=[KEY])
    with pytest.raises(ValueError, match="not replaced"):
        write_cassette(path, exchanges, meta={}, replacements={}, secrets=[], forbidden=["user"])
    assert not path.exists()
