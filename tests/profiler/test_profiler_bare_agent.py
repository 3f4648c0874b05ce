"""bare-agent: the loop on both SDKs, its stop rules and error reporting, its tools, and that
adapters.harnesses recognises its requests as ``bare-agent``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from adapters.harnesses import identify_harness, profile
from adapters.ir import WireFormat
from skvm_shim import bare_agent
from skvm_shim.bare_agent import ToolBox
from skvm_shim.profiler.harness import from_run_result
from skvm_shim.profiler.webserver import ProbeServer
from skvm_shim.testing import ScriptedUpstream, ToolCall, Turn, Usage

WRITE = ToolCall(name="write_file", arguments={"path": "out/a.txt", "content": "hello\n"})
RUN = ToolCall(name="execute_command", arguments={"command": "cat out/a.txt; echo oops >&2"})
LIST = ToolCall(name="list_directory", arguments={"path": "out"})


@pytest.fixture
def up() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as server:
        yield server


def _client(up: ScriptedUpstream, api: str) -> Any:
    if api == "anthropic":
        return anthropic.Anthropic(base_url=up.base_url, api_key="x", max_retries=0)
    return openai.OpenAI(base_url=up.openai_base_url, api_key="x", max_retries=0)


def _body(up: ScriptedUpstream, i: int) -> dict[str, Any]:
    body = up.requests[i].body
    return body if isinstance(body, dict) else json.loads(body)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_a_run_on_each_sdk(up: ScriptedUpstream, tmp_path: Path, api: str) -> None:
    usage = Usage(input_tokens=100, output_tokens=10, cached_tokens=40)
    up.script(
        Turn(tool_calls=(WRITE,), usage=usage),
        Turn(tool_calls=(RUN, LIST), usage=usage),
        Turn(text="All done.", usage=usage),
    )
    result = bare_agent.run(
        "Write hello to out/a.txt", client=_client(up, api), model="m", workdir=tmp_path,
        extra_headers={"X-Test": "1"},
    )  # fmt: skip
    assert (result.status, result.text, result.llm_calls, result.api) == (
        "completed",
        "All done.",
        3,
        api,
    )
    assert (tmp_path / "out" / "a.txt").read_text() == "hello\n"
    assert [c.name for c in result.tool_calls] == [
        "write_file",
        "execute_command",
        "list_directory",
    ]
    assert result.tool_calls[1].output == "stdout:\nhello\n\nstderr:\noops\n\nexit code: 0"
    assert result.tool_calls[2].output == "[file] a.txt"
    # Both APIs in one convention: input excludes the cached prompt tokens.
    assert (result.usage.input_tokens, result.usage.cache_read_tokens) == (180, 120)
    assert result.usage.output_tokens == 30
    assert all(r.headers.get("x-test") == "1" for r in up.requests)
    fmt = WireFormat.ANTHROPIC_MESSAGES if api == "anthropic" else WireFormat.CHAT_COMPLETIONS
    for i in range(3):
        assert identify_harness(fmt, _body(up, i), {}) == "bare-agent"
    last = _body(up, 2)["messages"]
    if api == "openai":
        assert [m["role"] for m in last[-3:]] == ["assistant", "tool", "tool"]
        assert last[-3]["tool_calls"][1]["function"]["name"] == "list_directory"
    else:
        blocks = last[-1]["content"]
        assert [b["type"] for b in blocks] == ["tool_result", "tool_result"]
        assert blocks[0]["content"].startswith("stdout:\nhello")


def test_the_command_envelope_is_what_the_harness_profile_parses(tmp_path: Path) -> None:
    box = ToolBox(tmp_path)
    out = box.execute(
        "execute_command", {"command": "printf 'a\\nb'; echo warn >&2; exit 3"}, budget_s=10
    )
    assert (out.ok, out.exit_code) == (False, 3)
    [shell] = profile("bare-agent").shell_tools
    split = shell.output.split(out.output)
    assert split is not None
    assert split.content == "a\nb"


def test_a_skill_is_injected_where_the_profile_finds_it() -> None:
    system = bare_agent.system_prompt("---\nname: x\n---\n# X\nDo things.")
    [injection] = profile("bare-agent").injections
    split = injection.body.split(system)
    assert split is not None
    assert split.content == "---\nname: x\n---\n# X\nDo things."


def test_the_same_calls_three_turns_in_a_row_end_the_run(
    up: ScriptedUpstream, tmp_path: Path
) -> None:
    up.set_default(Turn(tool_calls=(LIST,)))
    result = bare_agent.run("go", client=_client(up, "openai"), model="m", workdir=tmp_path)
    assert (result.status, result.llm_calls) == ("loop", 3)
    assert result.tool_calls[-1].output == "(not run: loop)"


def test_the_step_budget_ends_the_run(up: ScriptedUpstream, tmp_path: Path) -> None:
    up.script(
        *(
            Turn(tool_calls=(ToolCall(name="list_directory", arguments={"path": str(i)}),))
            for i in range(10)
        )
    )
    result = bare_agent.run(
        "go", client=_client(up, "openai"), model="m", workdir=tmp_path, max_steps=4
    )
    assert (result.status, result.llm_calls, len(result.steps)) == ("max_steps", 4, 4)


def test_the_time_budget_ends_the_run(up: ScriptedUpstream, tmp_path: Path) -> None:
    up.set_default(Turn(text="late", delay_ms=3000))
    result = bare_agent.run(
        "go", client=_client(up, "openai"), model="m", workdir=tmp_path, timeout=0.5
    )
    assert result.status == "timeout"
    assert from_run_result(result).outcome == "timeout"


@pytest.mark.parametrize(("status", "outcome"), [(401, "infra"), (503, "infra"), (400, "ok")])
def test_upstream_errors_are_reported_not_raised(
    up: ScriptedUpstream, tmp_path: Path, status: int, outcome: str
) -> None:
    up.script(Turn(tool_calls=(LIST,)), Turn(error={"status": status}))
    result = bare_agent.run("go", client=_client(up, "openai"), model="m", workdir=tmp_path)
    assert (result.status, result.error_kind, result.error_status) == ("error", "status", status)
    assert len(result.steps) == 1, "the work before the error is kept"
    # A rejected request (e.g. context overflow) is the run's outcome; auth/outage is not.
    assert from_run_result(result).outcome == outcome


def test_an_unreachable_endpoint_is_a_connection_error(tmp_path: Path) -> None:
    client = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0)
    result = bare_agent.run("go", client=client, model="m", workdir=tmp_path, timeout=10)
    assert (result.status, result.error_kind) == ("error", "connection")
    assert from_run_result(result).outcome == "infra"


def test_file_tools_stay_in_the_work_directory(tmp_path: Path) -> None:
    box = ToolBox(tmp_path / "w")
    (tmp_path / "w").mkdir()
    (tmp_path / "secret.txt").write_text("no")
    for name, args in (
        ("read_file", {"path": "../secret.txt"}),
        ("write_file", {"path": "/etc/skvm-test", "content": "x"}),
        ("list_directory", {"path": ".."}),
    ):
        out = box.execute(name, args, budget_s=5)
        assert not out.ok
        assert "outside the working directory" in out.output
    assert (
        box.execute("read_file", {"path": "missing.txt"}, budget_s=5).output
        == "Error: File not found: missing.txt"
    )
    assert (
        box.execute("write_file", {"path": "d/e.txt"}, budget_s=5).output
        == "Error: missing argument: content"
    )
    assert box.execute("list_directory", {}, budget_s=5).output == "(empty directory)"
    assert box.execute("teleport", {}, budget_s=5).output == "Unknown tool: teleport"


def test_commands_time_out_and_do_not_see_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    box = ToolBox(tmp_path)
    assert (
        "sk-should-not-leak"
        not in box.execute("execute_command", {"command": "env"}, budget_s=10).output
    )
    slow = box.execute("execute_command", {"command": "sleep 5", "timeout_seconds": 1}, budget_s=10)
    assert slow.output == "Error: command timed out after 1s"
    blocked = box.execute("execute_command", {"command": "pkill python"}, budget_s=10)
    assert not blocked.ok
    assert "not allowed" in blocked.output


def test_web_fetch_reaches_a_loopback_server(tmp_path: Path) -> None:
    with ProbeServer({"/api/x": lambda q: (200, {"got": q.get("a", [""])[0]})}) as server:
        box = ToolBox(tmp_path)
        out = box.execute("web_fetch", {"url": f"{server.base_url}/api/x?a=7"}, budget_s=10)
        missing = box.execute("web_fetch", {"url": f"{server.base_url}/nope"}, budget_s=10)
    assert out.output == 'HTTP 200\n{"got": "7"}'
    assert missing.output.startswith("HTTP 404")
    assert not missing.ok
    assert not box.execute("web_fetch", {"url": "file:///etc/passwd"}, budget_s=5).ok


def test_arguments_that_are_not_json_come_back_as_an_error(
    up: ScriptedUpstream, tmp_path: Path
) -> None:
    up.script(
        Turn(tool_calls=(ToolCall(name="read_file", arguments="{not json"),)), Turn(text="ok")
    )
    result = bare_agent.run("go", client=_client(up, "openai"), model="m", workdir=tmp_path)
    assert result.tool_calls[0].output.startswith("Error: the arguments are not a JSON object")
    assert result.status == "completed"
