"""Harness recognition and profile facts, checked against requests captured from the real CLIs.

The fixtures (tests/fixtures/harness_requests, see its README) are requests Claude Code, Codex,
pi, opencode and the OpenAI Agents SDK sent to a loopback stub while loading the same
``csv-stats`` skill (skill-csv-stats.md), plus plain SDK calls that must stay ``generic``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.harnesses import (
    HARNESS_IDS,
    Decorated,
    Decoration,
    HarnessProfile,
    identify_harness,
    profile,
    profiles,
)
from adapters.ir import WireFormat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "harness_requests"
CAPTURES = sorted(FIXTURES.glob("*.json"))
SKILL_MD = (FIXTURES / "skill-csv-stats.md").read_text()
SKILL_BODY = SKILL_MD.split("---\n", 2)[2].lstrip("\n")
"""The body without frontmatter, as Claude Code and opencode deliver it."""
DESCRIPTION = next(
    line.removeprefix("description: ")
    for line in SKILL_MD.splitlines()
    if line.startswith("description: ")
)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _fixture(name: str) -> dict[str, Any]:
    return _load(FIXTURES / f"{name}.json")


def _fmt(fx: Mapping[str, Any]) -> WireFormat:
    return WireFormat(fx["format"])


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


# ------------------------------------------------------------------------------ request walking
def _texts(content: Any) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            if isinstance(block, Mapping) and isinstance(block.get("text"), str):
                yield block["text"]


def _texts_by_role(fmt: WireFormat, body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(role, text) for every prompt text part; instructions and Anthropic system are 'system'."""
    if fmt is WireFormat.ANTHROPIC_MESSAGES:
        for text in _texts(body.get("system")):
            yield "system", text
    if isinstance(body.get("instructions"), str):
        yield "system", body["instructions"]
    items = body.get("messages") if fmt is not WireFormat.RESPONSES else body.get("input")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and "role" in item:
            for text in _texts(item.get("content")):
                yield item["role"], text


def _tool_outputs(fx: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(tool name, output text, text parts beside the result) for every tool result."""
    fmt, body = _fmt(fx), fx["body"]
    names: dict[str, str] = {}
    out: list[tuple[str, str, list[str]]] = []
    if fmt is WireFormat.RESPONSES:
        for item in body["input"]:
            if item.get("type") == "function_call":
                names[item["call_id"]] = item["name"]
            elif item.get("type") == "function_call_output":
                out.append((names[item["call_id"]], item["output"], []))
        return out
    for msg in body["messages"]:
        for call in msg.get("tool_calls") or []:
            names[call["id"]] = call["function"]["name"]
        if msg.get("role") == "tool":
            out.append((names[msg["tool_call_id"]], msg["content"], []))
        content = msg.get("content")
        if not isinstance(content, list):
            continue
        for i, block in enumerate(content):
            if block.get("type") == "tool_use":
                names[block["id"]] = block["name"]
            elif block.get("type") == "tool_result":
                text = "\n".join(_texts(block["content"]))
                siblings = [b["text"] for b in content[i + 1 :] if b.get("type") == "text"]
                out.append((names[block["tool_use_id"]], text, siblings))
    return out


def _tool_schemas(fx: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    schemas: dict[str, Mapping[str, Any]] = {}
    for tool in fx["body"].get("tools") or []:
        if "function" in tool:
            schemas[tool["function"]["name"]] = tool["function"]["parameters"]
        elif "input_schema" in tool:
            schemas[tool["name"]] = tool["input_schema"]
        elif "parameters" in tool and "name" in tool:
            schemas[tool["name"]] = tool["parameters"]
    return schemas


def _without_system(fmt: WireFormat, body: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k not in ("system", "instructions")}
    key = "input" if fmt is WireFormat.RESPONSES else "messages"
    items = out.get(key)
    if isinstance(items, list):
        out[key] = [
            m
            for m in items
            if not (isinstance(m, Mapping) and m.get("role") in ("system", "developer"))
        ]
    return out


def _split(decoration: Decoration, text: str) -> Decorated:
    decorated = decoration.split(text)
    assert decorated is not None, f"{decoration.description!r} does not match {text[:120]!r}"
    assert decoration.render(decorated) == text, "render(split(text)) must give text back"
    return decorated


# ---------------------------------------------------------------------------------- recognition
def test_fixtures_cover_every_captured_harness() -> None:
    harnesses = {_load(p)["harness"] for p in CAPTURES}
    assert harnesses == {"claude-code", "codex", "pi", "opencode", "openai-agents", "generic"}


@pytest.mark.parametrize("path", CAPTURES, ids=_ids(CAPTURES))
def test_capture_is_identified_as_its_harness(path: Path) -> None:
    fx = _load(path)
    assert identify_harness(_fmt(fx), fx["body"], fx["headers"]) == fx["harness"]


# Title-generation side calls carry neither the harness's prompt nor its tools.
_BODY_ONLY_EXPECTED = {"opencode-02": "generic"}


@pytest.mark.parametrize("path", CAPTURES, ids=_ids(CAPTURES))
def test_capture_is_identified_from_the_body_alone(path: Path) -> None:
    fx = _load(path)
    expected = _BODY_ONLY_EXPECTED.get(path.stem, fx["harness"])
    assert identify_harness(_fmt(fx), fx["body"], {}) == expected


@pytest.mark.parametrize("path", CAPTURES, ids=_ids(CAPTURES))
def test_capture_is_identified_from_its_tools_alone(path: Path) -> None:
    fx = _load(path)
    body = _without_system(_fmt(fx), fx["body"])
    expected = fx["harness"] if fx["body"].get("tools") else "generic"
    assert identify_harness(_fmt(fx), body, {}) == expected


@pytest.mark.parametrize("path", CAPTURES, ids=_ids(CAPTURES))
def test_capture_headers_alone(path: Path) -> None:
    """Headers identify every CLI but pi, which sends the stock OpenAI/Anthropic JS SDK headers."""
    fx = _load(path)
    expected = "generic" if fx["harness"] == "pi" else fx["harness"]
    assert identify_harness(_fmt(fx), {}, fx["headers"]) == expected


def test_header_names_are_matched_case_insensitively() -> None:
    fx = _fixture("opencode-01")
    upper = {k.upper(): v for k, v in fx["headers"].items()}
    assert identify_harness(_fmt(fx), {}, upper) == "opencode"


def test_only_the_head_of_the_system_text_is_read() -> None:
    marker = "You are an expert coding assistant operating inside pi, a coding agent harness."
    fmt = WireFormat.CHAT_COMPLETIONS
    early = {"messages": [{"role": "system", "content": marker + " " + "x" * 100_000}]}
    late = {"messages": [{"role": "system", "content": "x" * 100_000 + marker}]}
    assert identify_harness(fmt, early, {}) == "pi"
    assert identify_harness(fmt, late, {}) == "generic"


def test_markers_in_user_messages_do_not_identify() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "You are opencode, an interactive CLI tool"},
        ]
    }
    assert identify_harness(WireFormat.CHAT_COMPLETIONS, body, {}) == "generic"


def _tools_chat(*names: str) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": n, "parameters": {}}} for n in names]


@pytest.mark.parametrize(
    ("harness", "body"),
    [
        (
            "bare-agent",
            {
                "messages": [
                    {
                        "role": "system",
                        "content": "You are a helpful assistant that completes tasks by using"
                        " tools. Work in the provided directory.",
                    }
                ]
            },
        ),
        (
            "bare-agent",
            {
                "tools": _tools_chat(
                    "read_file", "write_file", "execute_command", "list_directory", "web_fetch"
                )
            },
        ),
        (
            "hermes",
            {
                "messages": [
                    {
                        "role": "system",
                        "content": "You are Hermes Agent, an intelligent AI assistant created by"
                        " Nous Research. You are helpful, knowledgeable, and direct.",
                    }
                ]
            },
        ),
        ("hermes", {"tools": _tools_chat("terminal", "read_file", "write_file", "skill_view")}),
        (
            "openclaw",
            {
                "messages": [
                    {
                        "role": "system",
                        "content": "You are a personal assistant running inside OpenClaw.\n\n"
                        "## Tooling",
                    }
                ]
            },
        ),
        ("openclaw", {"tools": _tools_chat("read", "write", "edit", "exec", "process")}),
    ],
)
def test_source_only_profiles_match_their_documented_markers(
    harness: str, body: dict[str, Any]
) -> None:
    """Not captures: strings quoted from each harness's source, to check matching order."""
    assert identify_harness(WireFormat.CHAT_COMPLETIONS, body, {}) == harness


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["role", "content", "text", "name", "function", "type", "system"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(
    fmt=st.sampled_from(list(WireFormat)),
    body=st.dictionaries(
        st.sampled_from(["system", "instructions", "messages", "input", "tools", "model"]),
        _json,
        max_size=5,
    ),
    headers=st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=4),
)
def test_identify_never_raises_on_malformed_requests(
    fmt: WireFormat, body: dict[str, Any], headers: dict[str, str]
) -> None:
    assert identify_harness(fmt, body, headers) in HARNESS_IDS


# ------------------------------------------------------------------------------------- profiles
def test_profile_lookup() -> None:
    assert [p.id for p in profiles()] == list(HARNESS_IDS)
    for harness in HARNESS_IDS:
        assert isinstance(profile(harness), HarnessProfile)
        assert profile(harness).id == harness
    with pytest.raises(KeyError):
        profile("claude_code")


def test_only_identifiable_harnesses_lack_recognition_rules() -> None:
    for p in profiles():
        rules = p.recognition
        has_rules = bool(rules.headers or rules.text_markers or rules.tool_sets)
        assert has_rules == (p.id != "generic"), p.id


_TOOLED = [
    p for p in CAPTURES if _load(p)["body"].get("tools") and _load(p)["harness"] != "generic"
]


@pytest.mark.parametrize("path", _TOOLED, ids=_ids(_TOOLED))
def test_profile_tool_arguments_exist_in_the_captured_schemas(path: Path) -> None:
    fx = _load(path)
    p = profile(fx["harness"])
    schemas = _tool_schemas(fx)
    checked = 0
    for shell in p.shell_tools:
        if shell.name in schemas:
            prop = schemas[shell.name]["properties"][shell.command_key]
            assert prop["type"] == ("string" if shell.command_kind == "string" else "array")
            checked += 1
    for read in p.read_tools:
        if read.name in schemas:
            assert schemas[read.name]["properties"][read.path_key]["type"] == "string"
            checked += 1
    for skill in p.skill_tools:
        if skill.name in schemas:
            assert schemas[skill.name]["properties"][skill.name_key]["type"] == "string"
            checked += 1
    assert checked, f"no profiled tool among {sorted(schemas)}"


_WITH_CATALOG = [
    p
    for p in _TOOLED
    if _load(p)["harness"] in {"claude-code", "codex", "pi", "opencode", "openai-agents"}
]


@pytest.mark.parametrize("path", _WITH_CATALOG, ids=_ids(_WITH_CATALOG))
def test_catalog_markers_find_the_skill(path: Path) -> None:
    fx = _load(path)
    [catalog] = profile(fx["harness"]).catalogs
    found = [
        entry
        for role, text in _texts_by_role(_fmt(fx), fx["body"])
        if role == catalog.role
        for entry in catalog.entries(text)
        if entry["name"] == "csv-stats"
    ]
    assert len(found) == 1
    assert found[0]["description"] == DESCRIPTION
    if "location" in found[0]:
        assert "csv-stats" in (found[0]["location"] or "")
    if catalog.intro is not None:
        assert any(catalog.intro in text for _, text in _texts_by_role(_fmt(fx), fx["body"]))


def test_codex_catalog_roots_expand_short_paths() -> None:
    fx = _fixture("codex-01")
    [catalog] = profile("codex").catalogs
    assert catalog.root is not None
    text = next(t for r, t in _texts_by_role(_fmt(fx), fx["body"]) if catalog.start in t)
    block = catalog.block(text)
    assert block is not None
    roots = {m["root"]: m["path"] for m in catalog.root.finditer(block)}
    [entry] = [e for e in catalog.entries(text) if e["name"] == "csv-stats"]
    root, rest = (entry["location"] or "").split("/", 1)
    assert (
        f"{roots[root]}/{rest}" == "/tmp/cap-codex-implicit/proj/.agents/skills/csv-stats/SKILL.md"
    )


@pytest.mark.parametrize("path", [p for p in CAPTURES if _load(p)["harness"] == "generic"])
def test_generic_requests_have_no_catalog(path: Path) -> None:
    fx = _load(path)
    for p in profiles():
        for catalog in p.catalogs:
            for _, text in _texts_by_role(_fmt(fx), fx["body"]):
                assert catalog.block(text) is None


# ---------------------------------------------------------------------------------- decorations
def test_claude_code_read_output_is_line_numbered() -> None:
    read = profile("claude-code").read_tool("Read")
    assert read is not None
    [(_, output, _)] = [o for o in _tool_outputs(_fixture("claude-code-02")) if o[0] == "Read"]
    decorated = _split(read.output, output)
    assert decorated.content == SKILL_MD
    assert decorated.first_line == 1
    assert output.startswith("1\t---\n2\tname: csv-stats\n")


def test_claude_code_skill_body_arrives_beside_the_tool_result() -> None:
    skill = profile("claude-code").skill_tool("Skill")
    assert skill is not None
    assert skill.body_in == "sibling_text"
    [(_, output, siblings)] = [
        o for o in _tool_outputs(_fixture("claude-code-02")) if o[0] == "Skill"
    ]
    assert output == "Launching skill: csv-stats"
    decorated = _split(skill.body, siblings[0])
    assert decorated.content == SKILL_BODY
    assert decorated.header.startswith("Base directory for this skill: /tmp/cap-claude")


def test_claude_code_slash_command_injects_the_body() -> None:
    [injection] = profile("claude-code").injections
    fx = _fixture("claude-code-04")
    texts = [t for r, t in _texts_by_role(_fmt(fx), fx["body"]) if r == injection.role]
    [text] = [t for t in texts if injection.body.split(t) is not None and "Base dir" in t]
    decorated = _split(injection.body, text)
    assert decorated.content == SKILL_BODY
    assert decorated.footer == "\n\nARGUMENTS: data.csv"


@pytest.mark.parametrize("name", ["opencode-01", "opencode-03"])
def test_opencode_read_and_skill_outputs(name: str) -> None:
    p = profile("opencode")
    read, skill = p.read_tool("read"), p.skill_tool("skill")
    assert read is not None
    assert skill is not None
    outputs = {tool: text for tool, text, _ in _tool_outputs(_fixture(name))}
    decorated = _split(read.output, outputs["read"])
    assert decorated.content == SKILL_MD.removesuffix("\n")
    assert decorated.footer == "\n\n(End of file - total 14 lines)\n</content>"
    assert _split(skill.body, outputs["skill"]).content == SKILL_BODY.strip()
    assert _split(p.shell_tools[0].output, outputs["bash"]).content.startswith("name: ")


@pytest.mark.parametrize("name", ["pi-01", "pi-02", "pi-03"])
def test_pi_read_output_is_the_raw_file(name: str) -> None:
    read = profile("pi").read_tool("read")
    assert read is not None
    outputs = {tool: text for tool, text, _ in _tool_outputs(_fixture(name))}
    decorated = _split(read.output, outputs["read"])
    assert (decorated.header, decorated.content, decorated.footer) == ("", SKILL_MD, "")


def test_pi_read_footer_is_split_off() -> None:
    read = profile("pi").read_tool("read")
    assert read is not None
    cut = SKILL_MD + "\n\n[Showing lines 1-15 of 400. Use offset=16 to continue.]"
    assert _split(read.output, cut).content == SKILL_MD


@pytest.mark.parametrize(
    ("name", "harness"),
    [
        ("codex-01", "codex"),
        ("openai-agents-01", "openai-agents"),
        ("openai-agents-03", "openai-agents"),
    ],
)
def test_exec_command_output_envelope(name: str, harness: str) -> None:
    shell = profile(harness).shell_tool("exec_command")
    assert shell is not None
    outputs = [text for tool, text, _ in _tool_outputs(_fixture(name)) if tool == "exec_command"]
    cat = _split(shell.output, outputs[0])
    assert cat.content == SKILL_MD
    assert cat.header.startswith("Chunk ID: ")
    assert _split(shell.output, outputs[1]).content.startswith("name: non-numeric\n")


def test_codex_dollar_mention_injects_the_whole_file() -> None:
    [injection] = profile("codex").injections
    fx = _fixture("codex-02")
    [text] = [t for r, t in _texts_by_role(_fmt(fx), fx["body"]) if t.startswith("<skill>\n")]
    decorated = _split(injection.body, text)
    assert decorated.content == SKILL_MD
    assert injection.keeps_frontmatter


def test_openai_agents_load_skill_carries_no_body() -> None:
    skill = profile("openai-agents").skill_tool("load_skill")
    assert skill is not None
    assert skill.body_in == "none"
    outputs = {tool: text for tool, text, _ in _tool_outputs(_fixture("openai-agents-02"))}
    assert "SKVM-CAPTURE-MARKER" not in outputs["load_skill"]
    assert "'status': 'loaded'" in outputs["load_skill"]


def test_rewritten_content_is_renumbered() -> None:
    read = profile("claude-code").read_tool("Read")
    assert read is not None
    decorated = _split(read.output, "7\tone\n8\ttwo")
    rewritten = Decorated(decorated.header, "a\nb\nc", decorated.footer, decorated.first_line)
    assert read.output.render(rewritten) == "7\ta\n8\tb\n9\tc"


@pytest.mark.parametrize(
    "text",
    [SKILL_MD, "1\tone\n3\tthree", "1\tone\nno number"],
    ids=["undecorated", "gap-in-numbers", "unnumbered-line"],
)
def test_line_numbered_split_rejects_other_text(text: str) -> None:
    read = profile("claude-code").read_tool("Read")
    assert read is not None
    assert read.output.split(text) is None


def test_bare_agent_command_envelope() -> None:
    """Shape quoted from SkVM src/core/agent-tools.ts (bare-agent is not captured)."""
    [shell] = profile("bare-agent").shell_tools
    out = "stdout:\n" + SKILL_MD + "\nstderr:\nwarning: x\nexit code: 0"
    assert _split(shell.output, out).content == SKILL_MD
    assert _split(shell.output, "stdout:\nhi\n\nexit code: 1").content == "hi\n"
