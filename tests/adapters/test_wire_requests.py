"""Request parsing of the three wire formats, on bodies shaped like the harnesses' real ones.

The shapes follow the captures in research/ecosystem.md §7: Claude Code (Anthropic Messages, skill
body beside the Skill tool_result), Codex (Responses, developer catalog and ``<skill>`` message),
pi (Chat Completions, ``<available_skills>`` in the system prompt, body via the ``read`` tool), and
the Agents SDK's shell tool with structured skills.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

from adapters.edit import get_at, replace_at
from adapters.ir import (
    Message,
    Request,
    StructuredSkill,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    WireFormat,
)
from adapters.wire import codec_for

SKILL_BODY = "# CSV stats\n\nRun `python3 scripts/stats.py FILE` and report mean, median, max.\n"


def _assert_paths(body: Any, request: Request) -> None:
    """Every part's path leads to exactly that part's string (or its call / result object)."""
    for message in request.messages:
        for text in message.texts():
            assert get_at(body, text.path) == text.text
        for part in message.parts:
            if isinstance(part, ToolCall | ToolResult):
                assert isinstance(get_at(body, part.path), dict)


# --- Anthropic Messages (Claude Code) --------------------------------------------------------


def _claude_code_body() -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 32000,
        "stream": True,
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc"},
            {
                "type": "text",
                "text": "You are Claude Code, Anthropic's official CLI.",
                "cache_control": {"type": "ephemeral"},
            },
            {"type": "text", "text": "Tone and style...", "cache_control": {"type": "ephemeral"}},
        ],
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "<system-reminder>\nThe following skills are available for use "
                        "with the Skill tool:\n\n- csv-stats: Summarise CSV files\n"
                        "</system-reminder>",
                    },
                    {
                        "type": "text",
                        "text": "Summarise data.csv",
                        "cache_control": {"type": "ephemeral"},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "use the skill", "signature": "sig"},
                    {"type": "text", "text": "I'll load the skill."},
                    {
                        "type": "tool_use",
                        "id": "toolu_01",
                        "name": "Skill",
                        "input": {"skill": "csv-stats", "note": "é"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_01",
                        "content": "Launching skill: csv-stats",
                    },
                    {
                        "type": "text",
                        "text": "Base directory for this skill: /p/.claude/skills/csv-stats\n\n"
                        + SKILL_BODY,
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_02",
                        "name": "Bash",
                        "input": {"command": "python3 scripts/stats.py data.csv"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_02",
                        "content": [
                            {"type": "text", "text": "mean=3"},
                            {"type": "image", "source": {"type": "base64", "data": "AA=="}},
                            {
                                "type": "text",
                                "text": "max=9",
                                "cache_control": {"type": "ephemeral"},
                            },
                        ],
                        "is_error": False,
                    }
                ],
            },
        ],
        "tools": [
            {
                "name": "Skill",
                "description": "Execute a skill",
                "input_schema": {"type": "object", "properties": {"skill": {"type": "string"}}},
            },
            {"name": "Bash", "description": "Run", "input_schema": {"type": "object"}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
            {"type": "code_execution_20250825", "name": "code_execution"},
        ],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
        "container": {
            "skills": [
                {"type": "anthropic", "skill_id": "pptx", "version": "latest"},
                {"type": "custom", "skill_id": "skill_01AbC", "version": "3"},
            ]
        },
    }


def test_anthropic_claude_code_request() -> None:
    body = _claude_code_body()
    request = codec_for(WireFormat.ANTHROPIC_MESSAGES).parse_request(body)
    assert request.format is WireFormat.ANTHROPIC_MESSAGES
    assert request.model == "claude-sonnet-4-5"
    assert request.stream is True
    assert request.parallel_tool_calls is False
    assert [m.role for m in request.messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    system = request.messages[0]
    assert [p.text for p in system.texts()] == [b["text"] for b in body["system"]]
    assert system.texts()[1].path == ("system", 1, "text")

    assistant = request.messages[2]
    assert assistant.parts == (
        TextPart("I'll load the skill."),
        ToolCall("toolu_01", "Skill", '{"skill":"csv-stats","note":"é"}'),
    )
    assert assistant.parts[1].path == ("messages", 1, "content", 2)

    # The skill body beside the tool_result stays a text part of that user message.
    loaded = request.messages[3]
    result, body_text = loaded.parts
    assert isinstance(result, ToolResult)
    assert result.call_id == "toolu_01"
    assert result.text == "Launching skill: csv-stats"
    assert result.content[0].path == ("messages", 2, "content", 0, "content")
    assert isinstance(body_text, TextPart)
    assert body_text.text.endswith(SKILL_BODY)
    assert body_text.path == ("messages", 2, "content", 1, "text")

    bash_result = request.messages[5].parts[0]
    assert isinstance(bash_result, ToolResult)
    assert bash_result.is_error is False
    assert [p.text for p in bash_result.content] == ["mean=3", "max=9"]
    assert bash_result.content[1].path == ("messages", 4, "content", 0, "content", 2, "text")

    assert request.tools == (
        ToolSpec("Skill", "function", body["tools"][0]["input_schema"]),
        ToolSpec("Bash", "function", {"type": "object"}),
        ToolSpec("web_search", "web_search_20250305"),
        ToolSpec("code_execution", "code_execution_20250825"),
    )
    assert request.tools[0].description == "Execute a skill"
    assert request.structured_skills == (
        StructuredSkill("anthropic.container.skills", "anthropic", None, "pptx", "latest"),
        StructuredSkill("anthropic.container.skills", "custom", None, "skill_01AbC", "3"),
    )
    assert request.structured_skills[1].path == ("container", "skills", 1)
    _assert_paths(body, request)


def test_anthropic_string_system_and_content() -> None:
    body = {
        "model": "m",
        "system": "be brief",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
    }
    request = codec_for(WireFormat.ANTHROPIC_MESSAGES).parse_request(body)
    assert request.messages == (
        Message("system", (TextPart("be brief"),)),
        Message("user", (TextPart("hi"),)),
        Message("assistant", (TextPart("yo"),)),
    )
    assert request.messages[1].parts[0].path == ("messages", 0, "content")
    assert request.stream is False
    assert request.parallel_tool_calls is None
    _assert_paths(body, request)


def test_rewriting_a_skill_body_at_its_path_touches_nothing_else() -> None:
    body = _claude_code_body()
    snapshot = json.dumps(body, sort_keys=True)
    request = codec_for(WireFormat.ANTHROPIC_MESSAGES).parse_request(body)
    target = request.messages[3].parts[1]
    assert isinstance(target, TextPart)
    new = replace_at(body, target.path, "compiled variant")
    assert json.dumps(body, sort_keys=True) == snapshot  # the harness's body is untouched
    assert get_at(new, target.path) == "compiled variant"
    assert new["system"] is body["system"]
    assert new["messages"][0] is body["messages"][0]
    assert new["messages"][2]["content"][0] is body["messages"][2]["content"][0]
    again = codec_for(WireFormat.ANTHROPIC_MESSAGES).parse_request(new)
    assert again.messages[3].parts[1] == TextPart("compiled variant")
    assert again.messages[:3] == request.messages[:3]


# --- Responses (Codex, Agents SDK) -----------------------------------------------------------


def _codex_body() -> dict[str, Any]:
    return {
        "model": "gpt-5-codex",
        "instructions": "You are Codex.",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "<permissions instructions>"}],
            },
            {
                "type": "message",
                "role": "developer",
                "content": [
                    {
                        "type": "input_text",
                        "text": "<skills_instructions>\n## Skills\n- csv-stats: Summarise CSV "
                        "(file: r2/csv-stats/SKILL.md)\n</skills_instructions>",
                    }
                ],
            },
            {"role": "user", "content": "$csv-stats summarise data.csv"},
            {
                "type": "message",
                "role": "user",
                "content": [
                    {
                        "type": "input_text",
                        "text": "<skill>\n<name>csv-stats</name>\n" + SKILL_BODY + "</skill>",
                    },
                    {"type": "input_image", "image_url": "data:image/png;base64,AA=="},
                ],
            },
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Reading it.", "annotations": []}],
            },
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "exec_command",
                "arguments": '{"cmd":"cat r2/csv-stats/SKILL.md"}',
            },
            {
                "type": "function_call",
                "call_id": "call_2",
                "name": "exec_command",
                "arguments": '{"cmd":"ls"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": SKILL_BODY},
            {
                "type": "function_call_output",
                "call_id": "call_2",
                "output": [{"type": "input_text", "text": "data.csv"}],
            },
            {
                "type": "custom_tool_call",
                "call_id": "call_3",
                "name": "apply_patch",
                "input": "*** Begin Patch\n*** End Patch",
            },
            {"type": "custom_tool_call_output", "call_id": "call_3", "output": "Done!"},
            {"type": "item_reference", "id": "msg_old"},
        ],
        "tools": [
            {
                "type": "function",
                "name": "exec_command",
                "description": "Runs a command",
                "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
                "strict": False,
            },
            {
                "type": "custom",
                "name": "apply_patch",
                "description": "Patch files",
                "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"},
            },
            {"type": "web_search"},
            {"type": "mcp", "server_label": "docs", "server_url": "https://example.invalid"},
        ],
        "parallel_tool_calls": False,
        "stream": True,
    }


def test_responses_codex_request() -> None:
    body = _codex_body()
    request = codec_for(WireFormat.RESPONSES).parse_request(body)
    assert request.model == "gpt-5-codex"
    assert request.stream is True
    assert request.parallel_tool_calls is False
    roles = [m.role for m in request.messages]
    assert roles == [
        "system",
        "developer",
        "developer",
        "user",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
    ]
    assert request.messages[0].parts[0].path == ("instructions",)
    assert request.messages[3].parts == (TextPart("$csv-stats summarise data.csv"),)
    assert request.messages[3].parts[0].path == ("input", 2, "content")
    skill_msg = request.messages[4]
    assert skill_msg.parts[0].path == ("input", 3, "content", 0, "text")
    assert SKILL_BODY in skill_msg.texts()[0].text

    # The assistant text and the run of calls after it form one assistant message.
    assistant = request.messages[5]
    assert assistant.path == ("input", 5)
    assert assistant.parts == (
        TextPart("Reading it."),
        ToolCall("call_1", "exec_command", '{"cmd":"cat r2/csv-stats/SKILL.md"}'),
        ToolCall("call_2", "exec_command", '{"cmd":"ls"}'),
    )
    outputs = request.messages[6]
    assert outputs.parts == (
        ToolResult("call_1", (TextPart(SKILL_BODY),)),
        ToolResult("call_2", (TextPart("data.csv"),)),
    )
    results = request.tool_results()
    assert results[0].content[0].path == ("input", 8, "output")
    assert results[1].content[0].path == ("input", 9, "output", 0, "text")
    assert request.messages[7].parts == (
        ToolCall("call_3", "apply_patch", "*** Begin Patch\n*** End Patch", "custom"),
    )
    assert request.tool_calls()[2].path == ("input", 10)
    assert request.tools == (
        ToolSpec("exec_command", "function", body["tools"][0]["parameters"]),
        ToolSpec("apply_patch", "custom", body["tools"][1]["format"]),
        ToolSpec("web_search", "web_search"),
        ToolSpec("docs", "mcp"),
    )
    _assert_paths(body, request)


def test_responses_string_input_and_shell_items_with_structured_skills() -> None:
    assert codec_for(WireFormat.RESPONSES).parse_request({"input": "hello"}).messages == (
        Message("user", (TextPart("hello"),)),
    )
    body: dict[str, Any] = {
        "model": "gpt-5.1",
        "input": [
            {"role": "user", "content": "use the skill"},
            {
                "type": "shell_call",
                "id": "sh_1",
                "call_id": "c1",
                "action": {"commands": ["cat /s/csv-stats/SKILL.md"], "timeout_ms": 1000},
                "status": "completed",
            },
            {
                "type": "shell_call_output",
                "call_id": "c1",
                "output": [
                    {
                        "stdout": SKILL_BODY,
                        "stderr": "",
                        "outcome": {"type": "exit", "exit_code": 0},
                    },
                    {"stdout": "", "stderr": "warn", "outcome": {"type": "timeout"}},
                ],
            },
            {
                "type": "local_shell_call",
                "id": "lsh_1",
                "call_id": "c2",
                "action": {"type": "exec", "command": ["ls"], "env": {}},
                "status": "completed",
            },
            {"type": "local_shell_call_output", "id": "c2", "output": "a\nb"},
            {
                "type": "apply_patch_call",
                "call_id": "c3",
                "operation": {"type": "delete_file", "path": "x"},
                "status": "completed",
            },
            {
                "type": "apply_patch_call_output",
                "call_id": "c3",
                "status": "failed",
                "output": "no",
            },
        ],
        "tools": [
            {
                "type": "shell",
                "environment": {
                    "type": "local",
                    "skills": [{"name": "csv-stats", "description": "d", "path": "/s/csv-stats"}],
                },
            },
            {
                "type": "shell",
                "environment": {
                    "type": "container_auto",
                    "skills": [
                        {"type": "skill_reference", "skill_id": "skill_1", "version": "2"},
                        {
                            "type": "inline",
                            "name": "tiny",
                            "description": "d",
                            "source": {
                                "type": "base64",
                                "media_type": "application/zip",
                                "data": "UEsDBA==",
                            },
                        },
                    ],
                },
            },
            {"type": "local_shell"},
            {"type": "apply_patch"},
        ],
    }
    request = codec_for(WireFormat.RESPONSES).parse_request(body)
    assert request.tool_calls() == (
        ToolCall(
            "c1", "shell", '{"commands":["cat /s/csv-stats/SKILL.md"],"timeout_ms":1000}', "shell"
        ),
        ToolCall("c2", "local_shell", '{"type":"exec","command":["ls"],"env":{}}', "local_shell"),
        ToolCall("c3", "apply_patch", '{"type":"delete_file","path":"x"}', "apply_patch"),
    )
    results = request.tool_results()
    assert [r.call_id for r in results] == ["c1", "c2", "c3"]
    assert [p.text for p in results[0].content] == [SKILL_BODY, "warn"]
    assert results[0].content[0].path == ("input", 2, "output", 0, "stdout")
    assert results[1].text == "a\nb"
    assert results[0].is_error is True  # its second command timed out
    assert results[1].is_error is None  # local_shell_call_output carries no outcome
    assert results[2].is_error is True
    assert request.structured_skills == (
        StructuredSkill("responses.shell.skills", "local", "csv-stats"),
        StructuredSkill("responses.shell.skills", "skill_reference", None, "skill_1", "2"),
        StructuredSkill("responses.shell.skills", "inline", "tiny"),
    )
    assert request.structured_skills[2].path == ("tools", 1, "environment", "skills", 1)
    assert [t.kind for t in request.tools] == ["shell", "shell", "local_shell", "apply_patch"]
    _assert_paths(body, request)


# --- Chat Completions (pi, opencode) ---------------------------------------------------------


def _pi_body() -> dict[str, Any]:
    return {
        "model": "qwen3",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [
            {
                "role": "system",
                "content": "You are pi.\n<available_skills><skill><name>csv-stats</name>"
                "<location>/s/csv-stats/SKILL.md</location></skill></available_skills>",
            },
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "summarise data.csv"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "read",
                            "arguments": '{"path":"/s/csv-stats/SKILL.md"}',
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": SKILL_BODY},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "Patching."}],
                "tool_calls": [
                    {"id": "call_2", "type": "custom", "custom": {"name": "patch", "input": "raw"}}
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "call_2",
                "content": [{"type": "text", "text": "ok"}],
            },
            {"role": "assistant", "function_call": {"name": "legacy", "arguments": "{}"}},
            {"role": "function", "name": "legacy", "content": "legacy result"},
            {"role": "developer", "content": "dev note"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "read",
                    "description": "Read a file",
                    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
                },
            },
            {"type": "custom", "custom": {"name": "patch", "format": {"type": "text"}}},
        ],
        "parallel_tool_calls": True,
    }


def test_chat_pi_request() -> None:
    body = _pi_body()
    request = codec_for(WireFormat.CHAT_COMPLETIONS).parse_request(body)
    assert request.model == "qwen3"
    assert request.stream is True
    assert request.parallel_tool_calls is True
    assert [m.role for m in request.messages] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "developer",
    ]
    assert request.messages[1].parts == (TextPart("summarise data.csv"),)
    assert request.messages[1].parts[0].path == ("messages", 1, "content", 0, "text")
    assert request.messages[2].parts == (
        ToolCall("call_1", "read", '{"path":"/s/csv-stats/SKILL.md"}'),
    )
    read_result = request.messages[3].parts[0]
    assert read_result == ToolResult("call_1", (TextPart(SKILL_BODY),))
    assert request.tool_results()[0].content[0].path == ("messages", 3, "content")
    assert request.messages[4].parts == (
        TextPart("Patching."),
        ToolCall("call_2", "patch", "raw", "custom"),
    )
    # Legacy function calls have no id: the call and its result are paired by name.
    assert request.messages[6].parts == (ToolCall("legacy", "legacy", "{}"),)
    assert request.messages[7].parts == (ToolResult("legacy", (TextPart("legacy result"),)),)
    assert request.tools == (
        ToolSpec("read", "function", body["tools"][0]["function"]["parameters"]),
        ToolSpec("patch", "custom", {"type": "text"}),
    )
    _assert_paths(body, request)


# --- robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_malformed_and_non_json_items_are_skipped(fmt: WireFormat) -> None:
    from openai.types.chat import ChatCompletionMessage

    model_obj = ChatCompletionMessage(role="assistant", content="from a pydantic model")
    weird: dict[str, Any] = {
        "model": 3,
        "stream": "yes",
        "system": {"not": "valid"},
        "instructions": ["x"],
        "messages": [
            model_obj,
            None,
            7,
            {"role": "wizard", "content": "?"},
            {"role": "user", "content": [None, 3, {"type": "text", "text": 5}, {"type": "text"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "input": {"x": object()}}]},
            {"role": "assistant", "tool_calls": [None, {"type": "function", "function": "x"}]},
            {"role": "tool", "tool_call_id": 5, "content": {"a": 1}},
            {"role": "user", "content": "ok"},
        ],
        "input": [model_obj, "str", {"type": "function_call", "arguments": 5}, {"role": 1}],
        "tools": [None, {"type": 5}, {"type": "function"}, {"type": "function", "function": 1}],
        "container": {"skills": [None, {"type": 1}]},
        "parallel_tool_calls": "no",
    }
    request = codec_for(fmt).parse_request(weird)
    assert request.model is None
    assert request.stream is False
    assert request.parallel_tool_calls is None
    for message in request.messages:
        for part in message.texts():
            assert isinstance(part.text, str)
            assert get_at(weird, part.path) == part.text
    if fmt is not WireFormat.RESPONSES:
        assert request.messages[-1].parts == (TextPart("ok"),)
    assert codec_for(fmt).parse_request(MappingProxyType({})).messages == ()
