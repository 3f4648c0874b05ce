"""Tool outcomes judged by what the result says: one table per harness and wire format.

Every result text goes into a request body of its wire format, is parsed by the real codec and
judged with the harness and format, as the pipeline and the JIT do. Where the texts come from:

- pi 0.73.1, Claude Code 2.1.197 and Codex 0.169.0: captured from the CLIs (tests/harness
  installs them) running scripted failing calls against the scripted upstream, paths normalised
  to /tmp/skvm-run;
- bare-agent and examples/agent_loop.py: produced live by their own tool code in this test;
- opencode, hermes, the OpenAI Agents SDK: written as their source builds them (not captured);
- successes: every tool result in tests/fixtures/harness_requests and the harness cassettes.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from adapters.harnesses import HARNESS_IDS, identify_harness
from adapters.ir import Request, ToolCall, WireFormat
from adapters.wire import codec_for, format_for_path
from skvm_shim.bare_agent.backends import CallOptions, ParsedCall, open_conversation
from skvm_shim.bare_agent.tools import ToolBox
from skvm_shim.jit.trace import view_of
from skvm_shim.telemetry.tool_outcome import judge_tool_result, tool_failed

ROOT = Path(__file__).resolve().parents[2]
CHAT = WireFormat.CHAT_COMPLETIONS
RESPONSES = WireFormat.RESPONSES
MESSAGES = WireFormat.ANTHROPIC_MESSAGES


@dataclass(frozen=True)
class Case:
    tool: str
    arguments: dict[str, Any] | str
    text: str
    failed: bool
    flag: bool | None = None
    """``is_error`` as the harness sends it (Anthropic Messages only)."""
    custom: bool = False
    """A Responses custom (free-form) tool call, e.g. Codex's apply_patch."""


# -- request bodies --------------------------------------------------------------------------------


def _body(fmt: WireFormat, cases: list[Case]) -> dict[str, Any]:
    ids = [f"call_{i}" for i in range(len(cases))]
    if fmt is CHAT:
        return {
            "model": "m",
            "messages": [
                {"role": "system", "content": "system"},
                {"role": "user", "content": "go"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": i,
                            "type": "function",
                            "function": {"name": c.tool, "arguments": _args(c)},
                        }
                        for i, c in zip(ids, cases, strict=True)
                    ],
                },
                *(
                    {"role": "tool", "tool_call_id": i, "content": c.text}
                    for i, c in zip(ids, cases, strict=True)
                ),
            ],
        }
    if fmt is RESPONSES:
        calls = [
            {"type": "custom_tool_call", "call_id": i, "name": c.tool, "input": _args(c)}
            if c.custom
            else {"type": "function_call", "call_id": i, "name": c.tool, "arguments": _args(c)}
            for i, c in zip(ids, cases, strict=True)
        ]
        outputs = [
            {
                "type": "custom_tool_call_output" if c.custom else "function_call_output",
                "call_id": i,
                "output": c.text,
            }
            for i, c in zip(ids, cases, strict=True)
        ]
        return {"model": "m", "input": [{"role": "user", "content": "go"}, *calls, *outputs]}
    return {
        "model": "m",
        "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": i,
                        "name": c.tool,
                        "input": c.arguments if isinstance(c.arguments, dict) else {},
                    }
                    for i, c in zip(ids, cases, strict=True)
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": i,
                        "content": c.text,
                        **({} if c.flag is None else {"is_error": c.flag}),
                    }
                    for i, c in zip(ids, cases, strict=True)
                ],
            },
        ],
    }


def _args(case: Case) -> str:
    return case.arguments if isinstance(case.arguments, str) else json.dumps(case.arguments)


def _verdicts(request: Request, harness: str) -> list[tuple[str, bool, str]]:
    """(tool, failed, reason) per result, judged as the pipeline judges them."""
    calls: dict[str, ToolCall] = {c.id: c for c in request.tool_calls()}
    out = []
    for result in request.tool_results():
        call = calls[result.call_id]
        outcome = judge_tool_result(
            result.text, result.is_error, tool=call.name, harness=harness, fmt=request.format
        )
        out.append((call.name, outcome.failed, outcome.reason))
    return out


def _check(harness: str, fmt: WireFormat, cases: list[Case]) -> None:
    request = codec_for(fmt).parse_request(_body(fmt, cases))
    got = _verdicts(request, harness)
    wrong = [
        f"{c.tool} {c.text[:70]!r}: expected failed={c.failed}, got {failed} ({reason or '-'})"
        for c, (_tool, failed, reason) in zip(cases, got, strict=True)
        if failed != c.failed
    ]
    assert not wrong, "\n".join(wrong)


def _flagged(cases: list[Case]) -> list[Case]:
    """The same results as a harness that flags exactly its failures sends them in Messages."""
    return [Case(c.tool, c.arguments, c.text, c.failed, c.failed, c.custom) for c in cases]


NOTES = (
    "# Troubleshooting\n\nError: the log says this when the disk is full.\n"
    'Traceback (most recent call last):\n  File "job.py", line 3, in <module>\n'
    "ValueError: shown as an example of a failed job\n"
)
"""A file whose content talks about errors: reading or printing it is a success."""

# -- pi 0.73.1 (captured, every API) ------------------------------------------------------------

PI = [
    Case(
        "read",
        {"path": "missing.csv"},
        "ENOENT: no such file or directory, access '/tmp/skvm-run/project/missing.csv'",
        True,
    ),
    Case("read", {"path": "."}, "EISDIR: illegal operation on a directory, read", True),
    Case(
        "read",
        {"path": "data.csv", "offset": 99},
        "Offset 99 is beyond end of file (4 lines total)",
        True,
    ),
    Case(
        "read",
        {},
        'Validation failed for tool "read":\n  - path: must have required properties path\n\n'
        "Received arguments:\n{}",
        True,
    ),
    Case("nosuchtool", {}, "Tool nosuchtool not found", True),
    Case(
        "bash",
        {"command": "cat missing.csv"},
        "cat: missing.csv: No such file or directory\n\n\nCommand exited with code 1",
        True,
    ),
    Case(
        "bash",
        {"command": "python3 -c 'import nosuchmod'"},
        'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'nosuchmod'\n\n\nCommand exited with code 1",
        True,
    ),
    Case(
        "bash",
        {"command": "nosuchcmd --x"},
        "/bin/bash: line 1: nosuchcmd: command not found\n\n\nCommand exited with code 127",
        True,
    ),
    Case("bash", {"command": "exit 3"}, "(no output)\n\nCommand exited with code 3", True),
    Case("bash", {"command": "printf 'Error: only text\\n'"}, "Error: only text\n", False),
    Case("bash", {"command": "cat notes.md"}, NOTES, False),
    Case("read", {"path": "notes.md"}, NOTES, False),
    # From pi's source (bash.js appendStatus), not captured:
    Case(
        "bash",
        {"command": "sleep 9", "timeout": 1},
        "started\n\nCommand timed out after 1 seconds",
        True,
    ),
]


@pytest.mark.parametrize("fmt", [CHAT, RESPONSES])
def test_pi_without_a_flag(fmt: WireFormat) -> None:
    _check("pi", fmt, PI)


def test_pi_anthropic_messages_flags_every_failure() -> None:
    _check("pi", MESSAGES, _flagged(PI))


# -- Claude Code 2.1.197 (captured; Anthropic Messages only) ----------------------------------

CLAUDE_CODE = [
    Case(
        "Read",
        {"file_path": "/tmp/skvm-run/project/missing.csv"},
        "File does not exist. Note: your current working directory is /tmp/skvm-run/project.",
        True,
        True,
    ),
    Case(
        "Bash",
        {"command": "cat missing.csv"},
        "Exit code 1\ncat: missing.csv: No such file or directory",
        True,
        True,
    ),
    Case(
        "Bash",
        {"command": "python3 -c 'import nosuchmod'"},
        'Exit code 1\nTraceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'nosuchmod'",
        True,
        True,
    ),
    Case(
        "Read",
        {},
        "<tool_use_error>InputValidationError: Read failed due to the following issue:\n"
        "The required parameter `file_path` is missing</tool_use_error>",
        True,
        True,
    ),
    # Flagged false: the output's own "Error:" does not make it a failure.
    Case("Bash", {"command": "printf 'Error: only text\\n'"}, "Error: only text", False, False),
    Case("Bash", {"command": "cat notes.md"}, NOTES, False, False),
    Case(
        "Read",
        {"file_path": "notes.md"},
        "\n".join(f"{n}\t{line}" for n, line in enumerate(NOTES.split("\n"), 1)),
        False,
    ),
]


def test_claude_code_anthropic_messages() -> None:
    _check("claude-code", MESSAGES, CLAUDE_CODE)


# -- Codex 0.169.0 (captured; Responses only) ---------------------------------------------------


def _envelope(code: int, output: str) -> str:
    return (
        f"Chunk ID: 1bebfb\nWall time: 0.0000 seconds\nProcess exited with code {code}\n"
        f"Original token count: 11\nOutput:\n{output}"
    )


CODEX = [
    Case(
        "exec_command",
        {"cmd": "cat missing.csv"},
        _envelope(1, "cat: missing.csv: No such file or directory\n"),
        True,
    ),
    Case(
        "exec_command",
        {"cmd": "nosuchcmd"},
        _envelope(127, "/bin/bash: line 1: nosuchcmd: command not found\n"),
        True,
    ),
    Case(
        "exec_command",
        {"cmd": "python3 -c 'import nosuchmod'"},
        _envelope(
            1,
            'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
            "ModuleNotFoundError: No module named 'nosuchmod'\n",
        ),
        True,
    ),
    Case(
        "exec_command",
        {"cmd": "printf 'Error: only text\\n'"},
        _envelope(0, "Error: only text\n"),
        False,
    ),
    Case("exec_command", {"cmd": "cat notes.md"}, _envelope(0, NOTES), False),
    Case(
        "exec_command",
        {"nope": 1},
        "failed to parse function arguments: missing field `cmd` at line 1 column 10",
        True,
    ),
    Case(
        "apply_patch",
        "*** Begin Patch\n*** Update File: missing.txt\n@@\n-a\n+b\n*** End Patch\n",
        "apply_patch verification failed: Failed to read file to update"
        " /tmp/skvm-run/project/missing.txt: No such file or directory (os error 2)",
        True,
        custom=True,
    ),
    Case(
        "write_stdin",
        {"session_id": 4242, "chars": "x"},
        "write_stdin failed: Unknown process id 4242",
        True,
    ),
    # A command still running: the envelope has no exit status, the partial output is not a verdict.
    Case(
        "exec_command",
        {"cmd": "make"},
        "Chunk ID: 9f00aa\nWall time: 10.0021 seconds\nProcess running with session ID 7\n"
        "Original token count: 4\nOutput:\nError: retrying download\n",
        False,
    ),
    # shell / shell_command output formats, from the binary (other model presets), not captured:
    Case(
        "shell_command",
        {"command": "ls x"},
        "Exit code: 2\nWall time: 0.1 seconds\nOutput:\n"
        "ls: cannot access 'x': No such file or directory\n",
        True,
    ),
    Case(
        "shell_command",
        {"command": "cat notes.md"},
        f"Exit code: 0\nWall time: 0 seconds\nOutput:\n{NOTES}",
        False,
    ),
    Case(
        "shell",
        {"command": ["cat", "notes.md"]},
        json.dumps(
            {"output": NOTES, "metadata": {"exit_code": 0, "duration_seconds": 0.1}},
            separators=(",", ":"),
        ),
        False,
    ),
    Case(
        "shell",
        {"command": ["false"]},
        json.dumps(
            {"output": "", "metadata": {"exit_code": 1, "duration_seconds": 0.0}},
            separators=(",", ":"),
        ),
        True,
    ),
]


def test_codex_responses() -> None:
    _check("codex", RESPONSES, CODEX)


# -- opencode 1.18 (from source: a thrown error is 'error-text', error.toString()) ------------

OPENCODE = [
    Case(
        "read",
        {"filePath": "/tmp/skvm-run/project/missing.csv"},
        "Error: File not found: /tmp/skvm-run/project/missing.csv",
        True,
    ),
    Case(
        "read",
        {"filePath": "/tmp/skvm-run/project/dta.csv"},
        "Error: File not found: /tmp/skvm-run/project/dta.csv\n\nDid you mean one of these?\n"
        "/tmp/skvm-run/project/data.csv",
        True,
    ),
    Case(
        "read",
        {"filePath": "/tmp/skvm-run/project/notes.md"},
        "<path>/tmp/skvm-run/project/notes.md</path>\n<type>file</type>\n<content>\n"
        + "\n".join(f"{n}: {line}" for n, line in enumerate(NOTES.rstrip("\n").split("\n"), 1))
        + "\n\n(End of file - total 6 lines)\n</content>",
        False,
    ),
]
OPENCODE_BASH = [
    # The exit code stays in the tool's metadata: the output's structure is all there is.
    Case(
        "bash",
        {"command": "cat missing.csv"},
        "cat: missing.csv: No such file or directory\n",
        True,
    ),
    Case(
        "bash",
        {"command": "sleep 600"},
        "started\n\n\n<bash_metadata>\nbash tool terminated command after exceeding timeout"
        " 120000 ms\n</bash_metadata>",
        True,
    ),
    Case(
        "bash",
        {"command": "grep -n Error notes.md"},
        "3:Error: the log says this when the disk is full.\n",
        False,
    ),
    Case("bash", {"command": "true"}, "", False),
]


def test_opencode_chat_completions() -> None:
    _check("opencode", CHAT, OPENCODE + OPENCODE_BASH)


def test_opencode_anthropic_messages_flags_only_thrown_errors() -> None:
    thrown = [Case(c.tool, c.arguments, c.text, c.failed, c.failed) for c in OPENCODE]
    _check("opencode", MESSAGES, thrown + OPENCODE_BASH)


# -- hermes 0.19 (from source: tools answer JSON) ---------------------------------------------

HERMES = [
    Case(
        "read_file",
        {"path": "missing.csv"},
        json.dumps({"error": "File not found: missing.csv"}),
        True,
    ),
    Case(
        "read_file",
        {"path": "notes.md"},
        json.dumps(
            {"content": "1|# Troubleshooting\n2|\n3|Error: the disk is full.", "total_lines": 3}
        ),
        False,
    ),
    Case(
        "terminal",
        {"command": "cat missing.csv"},
        json.dumps(
            {"output": "cat: missing.csv: No such file or directory", "exit_code": 1, "error": None}
        ),
        True,
    ),
    Case(
        "terminal",
        {"command": "echo '\"exit_code\": 1'"},
        json.dumps({"output": '"exit_code": 1\nError: only text', "exit_code": 0, "error": None}),
        False,
    ),
]


def test_hermes_chat_completions() -> None:
    _check("hermes", CHAT, HERMES)


# -- OpenAI Agents SDK 0.24 (failures from the SDK's default_tool_error_function) ------------

AGENTS = [
    Case(
        "exec_command",
        {"cmd": "cat missing.csv"},
        "Chunk ID: d79143\nWall time: 0.0032 seconds\nProcess exited with code 1\nOutput:\n"
        "cat: missing.csv: No such file or directory\n",
        True,
    ),
    Case(
        "load_skill",
        {"skill_name": "nope"},
        "An error occurred while running the tool. Please try again. Error: skill 'nope' not found",
        True,
    ),
    Case("exec_command", {"cmd": "cat notes.md"}, _envelope(0, NOTES), False),
]


@pytest.mark.parametrize("fmt", [RESPONSES, CHAT])
def test_openai_agents(fmt: WireFormat) -> None:
    _check("openai-agents", fmt, AGENTS)


def test_responses_shell_items_carry_their_outcome() -> None:
    """Hosted/Agents shell calls report each command's exit in the item: that decides."""

    def item(call_id: str, chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        action = {"commands": ["x"], "timeout_ms": 1000}
        return [
            {"type": "shell_call", "call_id": call_id, "action": action, "status": "completed"},
            {"type": "shell_call_output", "call_id": call_id, "output": chunks},
        ]

    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": "go"},
            *item(
                "ok",
                [
                    {
                        "stdout": NOTES,
                        "stderr": "Error: only a warning\n",
                        "outcome": {"type": "exit", "exit_code": 0},
                    }
                ],
            ),
            *item(
                "exit", [{"stdout": "", "stderr": "", "outcome": {"type": "exit", "exit_code": 2}}]
            ),
            *item("slow", [{"stdout": "started\n", "stderr": "", "outcome": {"type": "timeout"}}]),
        ],
    }
    request = codec_for(RESPONSES).parse_request(body)
    for harness in ("generic", "openai-agents"):
        assert [failed for _t, failed, _r in _verdicts(request, harness)] == [False, True, True]


# -- bare-agent (live: skvm_shim/bare_agent's own tools and message building) ---------------


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "notes.md").write_text(NOTES)
    return tmp_path


BARE_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("read_file", {"path": "missing.csv"}),
    ("read_file", {"path": "notes.md"}),
    ("execute_command", {"command": "cat missing.csv"}),
    ("execute_command", {"command": "cat notes.md"}),
    ("execute_command", {"command": "printf 'Error: only text\\n'"}),
    ("execute_command", {"command": "exit 3"}),
    ("execute_command", {"command": "nosuchcmd_skvm"}),
    ("execute_command", {"command": "pkill -f nothing"}),
    ("list_directory", {"path": "notes.md"}),
    ("write_file", {"path": "out.txt", "content": "Error: written as text"}),
    ("no_such_tool", {}),
]


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_bare_agent_agrees_with_its_own_verdict(api: str, workdir: Path) -> None:
    """Chat Completions carries no flag: the judge must reach the tool box's own ``ok``."""
    box = ToolBox(workdir)
    conversation: Any = open_conversation(api, None, CallOptions(model="m"), "system", "go")
    calls = [ParsedCall(f"call_{i}", name, args) for i, (name, args) in enumerate(BARE_CALLS)]
    outcomes = [box.execute(c.name, c.arguments, budget_s=30) for c in calls]  # type: ignore[arg-type]
    if api == "openai":
        conversation.messages.append(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                    }
                    for c in calls
                ],
            }
        )
    else:
        conversation.messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                    for c in calls
                ],
            }
        )
    conversation.add_results([(c, o.output, o.ok) for c, o in zip(calls, outcomes, strict=True)])
    fmt = CHAT if api == "openai" else MESSAGES
    body: dict[str, Any] = {"model": "m", "messages": conversation.messages}
    if api == "anthropic":
        body = {
            "model": "m",
            "max_tokens": 10,
            "system": "system",
            "messages": conversation.messages[:],
        }
    request = codec_for(fmt).parse_request(body)
    got = [failed for _t, failed, _r in _verdicts(request, "bare-agent")]
    expected = [not o.ok for o in outcomes]
    assert got == expected, [
        (name, o.output[:60])
        for (name, _a), o, g, e in zip(BARE_CALLS, outcomes, got, expected, strict=True)
        if g != e
    ]
    assert sum(expected) >= 6  # both kinds were exercised
    assert expected.count(False) >= 3


# -- examples/agent_loop.py (live; no harness profile: judged as generic) -------------------


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "agent_loop_example", ROOT / "examples" / "agent_loop.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_harness_chat_completions(workdir: Path) -> None:
    """Its results as its own ``call_tool`` writes them; it marks refused calls, not exit codes."""
    call_tool = _example().call_tool
    calls = [
        ("read_file", {"path": "missing.csv"}, True),
        ("read_file", {"path": "notes.md"}, False),
        ("read_file", {}, True),
        ("run_command", {"command": "cat missing.csv"}, True),
        ("run_command", {"command": "cat notes.md"}, False),
        ("run_command", {"command": "printf 'Error: only text\\n'"}, False),
        ("write_file", {"path": "o.txt", "content": "Error: x"}, False),
        ("nope", {}, True),
    ]
    cases, refused = [], []
    for name, args, failed in calls:
        text, harness_failed = call_tool(name, json.dumps(args), workdir)
        cases.append(Case(name, args, text, failed))
        refused.append(harness_failed)
    assert cases[0].text.startswith("Error: cannot read ")
    assert cases[0].text.endswith(": No such file or directory")
    assert all(case.failed for case, r in zip(cases, refused, strict=True) if r)
    body = _body(CHAT, cases)
    assert identify_harness(CHAT, body, {}) == "generic"
    _check("generic", CHAT, cases)


# -- no harness recognised: structure only, in every format ---------------------------------

GENERIC = [
    Case(
        "run",
        {},
        'Traceback (most recent call last):\n  File "x.py", line 3, in <module>\n    main()\n'
        "KeyError: 'col'\n",
        True,
    ),
    Case("run", {}, "starting\nzsh: command not found: jq\n", True),
    Case("run", {}, "sh: 1: jq: not found\n", True),
    Case(
        "run",
        {},
        "/tmp/x.js:1\nthrow new Error('boom')\n^\n\nError: boom\n"
        "    at Object.<anonymous> (/tmp/x.js:1:7)\n"
        "    at node:internal/main/run_main_module:28:49\n"
        "\nNode.js v20.19.2\n",
        True,
    ),
    Case("run", {}, "x.c: In function 'main':\nx.c:3:5: error: 'y' undeclared\n", True),
    Case("run", {}, "fatal: not a git repository (or any of the parent directories): .git\n", True),
    Case("run", {}, "ls: cannot access 'x': No such file or directory\n", True),
    Case("run", {}, "build ok\nexit status 2\n", True),
    Case("run", {}, "exit code 0\nError: only text\n", False),
    Case(
        "run",
        {},
        "3 problems in the log:\nline 4: Error: disk full\nline 9: retried\ndone\n",
        False,
    ),
    Case("run", {}, "The tool returns exit code 1 when the file is missing.\n", False),
    Case("run", {}, "<tool_use_error>Error: No such tool available: x</tool_use_error>", True),
    Case("run", {}, "", False),
    Case("read_file", {"path": "x"}, "Error: cannot read /tmp/skvm-run/x: Permission denied", True),
    Case("read", {"path": "/etc/shadow"}, "EACCES: permission denied, open '/etc/shadow'", True),
    Case("read_file", {"path": "notes.md"}, NOTES, False),
    Case(
        "read_file",
        {"path": "err.md"},
        "Error: this whole document is one line\nand a second",
        False,
    ),
]


@pytest.mark.parametrize("fmt", [CHAT, RESPONSES, MESSAGES])
def test_generic_judges_by_structure(fmt: WireFormat) -> None:
    _check("generic", fmt, GENERIC)


def test_an_unflagged_anthropic_result_of_an_unknown_harness_is_still_judged() -> None:
    cases = [Case(c.tool, c.arguments, c.text, c.failed, False) for c in GENERIC]
    _check("generic", MESSAGES, cases)


# -- real successes: every captured tool result --------------------------------------------


def _captured() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path in sorted((ROOT / "tests" / "fixtures" / "harness_requests").glob("*.json")):
        data = json.loads(path.read_text())
        yield path.name, data["format"], data["body"]
    for path in sorted((ROOT / "cassettes").glob("harness_*/*.yaml")):
        for n, interaction in enumerate(yaml.safe_load(path.read_text())["interactions"]):
            request = interaction["request"]
            fmt = format_for_path("/" + request["uri"].split("://", 1)[-1].split("/", 1)[-1])
            if fmt is not None:
                yield f"{path.parent.name}/{path.name}#{n}", fmt.value, json.loads(request["body"])


CAPTURED = list(_captured())


@pytest.mark.parametrize(("name", "fmt", "body"), CAPTURED, ids=[c[0] for c in CAPTURED])
def test_captured_successes_are_successes(name: str, fmt: str, body: dict[str, Any]) -> None:
    wire = WireFormat(fmt)
    request = codec_for(wire).parse_request(body)
    harness = identify_harness(wire, body, {})
    verdicts = _verdicts(request, harness)
    assert all(not failed for _t, failed, _r in verdicts), (harness, verdicts)


def test_the_captured_corpus_has_results_of_every_captured_harness() -> None:
    harnesses = {
        identify_harness(WireFormat(f), b, {})
        for _n, f, b in CAPTURED
        if codec_for(WireFormat(f)).parse_request(b).tool_results()
    }
    assert {"pi", "claude-code", "codex", "opencode", "openai-agents"} <= harnesses


# -- plumbing ---------------------------------------------------------------------------------


def test_the_judge_is_per_harness() -> None:
    """The same text is a success from pi's bash (exit 0 states nothing) and a guess elsewhere."""
    assert not tool_failed("Error: only text\n", tool="bash", harness="pi")
    assert tool_failed("Error: only text\n", tool="bash", harness="generic")
    assert tool_failed("Error: only text\n", tool="bash", harness="not-a-harness")
    assert all(isinstance(judge_tool_result("x", harness=h).failed, bool) for h in HARNESS_IDS)


def test_the_exit_code_decides_over_the_output() -> None:
    ok = judge_tool_result(
        _envelope(0, "Traceback (most recent call last):\nKeyError: 1\n"),
        tool="exec_command",
        harness="codex",
    )
    bad = judge_tool_result(_envelope(2, "all good\n"), tool="exec_command", harness="codex")
    assert (ok.failed, ok.reason) == (False, "exit code 0")
    assert (bad.failed, bad.reason) == (True, "exit code 2")


def test_long_results_are_judged_by_head_and_tail() -> None:
    middle = "line\n" * 100_000
    assert tool_failed(
        "started\n" + middle + "Traceback (most recent call last):\n  f()\nOSError: x\n"
    )
    buried = "Traceback (most recent call last):\nKeyError: 1\nexit code 1\n"
    assert not tool_failed("ok\n" + middle + buried + middle + "done\n")


def test_jit_views_judge_with_the_session_harness() -> None:
    """Learning and replay verification read outcomes through ``view_of``: pi rules apply."""
    cases = [Case("bash", {"command": "printf 'Error: only text\\n'"}, "Error: only text\n", False)]
    request = codec_for(CHAT).parse_request(_body(CHAT, cases))
    assert not view_of(request, "pi").any_failed()
    assert view_of(request).any_failed()
    enoent = [Case("read", {"path": "x"}, "ENOENT: no such file or directory, access '/x'", True)]
    assert view_of(codec_for(CHAT).parse_request(_body(CHAT, enoent)), "pi").any_failed()
