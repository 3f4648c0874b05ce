"""Skill detection: every place harnesses put skills, with the decorations they add."""

from __future__ import annotations

import pytest

from adapters.ir import (
    Message,
    Request,
    StructuredSkill,
    TextPart,
    ToolResult,
    WireFormat,
)
from skvm_shim.skills.detect import Detector
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry
from tests.runtime.skillgen import CSV_STATS, filler, make_skill

SKILL = Skill.parse(CSV_STATS)


def _req(*messages: Message, structured: tuple[StructuredSkill, ...] = ()) -> Request:
    return Request(
        format=WireFormat.CHAT_COMPLETIONS,
        model="m",
        stream=False,
        messages=messages,
        structured_skills=structured,
    )


def _msg(role: str, text: str, path: tuple[str | int, ...] = ("messages", 0, "content")) -> Message:
    return Message(role=role, parts=(TextPart(text, path),), path=path[:2])  # type: ignore[arg-type]


def _detector(*skills: Skill) -> Detector:
    return Detector(SkillRegistry(skills or (SKILL,)))


def test_body_in_system_prompt_is_found_whole_with_exact_span() -> None:
    text = "You are a helpful agent.\n\n<skill>\n" + SKILL.body + "\n</skill>\nBe brief."
    (d,) = _detector().scan(_req(_msg("system", text)))
    assert d.kind == "body"
    assert d.rewritable
    assert text[d.start : d.end] == SKILL.body
    assert d.skill_name == "csv-stats"
    assert d.path == ("messages", 0, "content")


def test_whole_file_with_frontmatter_in_codex_skill_message() -> None:
    text = (
        "<skill>\n<name>csv-stats</name>\n<path>/repo/.agents/skills/csv-stats/SKILL.md</path>\n"
        + CSV_STATS
        + "</skill>"
    )
    (d,) = _detector().scan(_req(_msg("user", text)))
    assert d.kind == "file"
    assert text[d.start : d.end] == SKILL.text


def test_file_read_in_tool_result_is_detected_in_the_result() -> None:
    result = ToolResult(
        call_id="call_1",
        content=(TextPart(CSV_STATS, ("messages", 2, "content")),),
    )
    msg = Message(role="tool", parts=(result,), path=("messages", 2))
    (d,) = _detector().scan(_req(_msg("user", "go"), msg))
    assert (d.kind, d.in_tool_result, d.message_index) == ("file", True, 1)


def test_claude_code_body_beside_tool_result() -> None:
    text = "Base directory for this skill: /tmp/x/.claude/skills/csv-stats\n\n" + SKILL.body
    msg = Message(
        role="user",
        parts=(
            ToolResult("toolu_1", (TextPart("Launching skill: csv-stats", ("m", 0)),)),
            TextPart(text, ("messages", 3, "content", 1, "text")),
        ),
    )
    (d,) = _detector().scan(_req(msg))
    assert d.kind == "body"
    assert d.path == ("messages", 3, "content", 1, "text")


def test_whitespace_changes_are_normalised() -> None:
    mangled = CSV_STATS.replace("\n", "\r\n").replace("# CSV statistics", "#  CSV statistics   ")
    mangled = mangled.replace("1. Inspect", "    1. Inspect")
    (d,) = _detector().scan(_req(_msg("user", "read:\n" + mangled)))
    assert d.kind == "file"
    assert d.normalized
    assert d.rewritable


@pytest.mark.parametrize(
    ("width", "sep"), [(6, "\t"), (6, "\u2192"), (0, "\t"), (0, ": "), (0, "|")]
)
def test_line_numbered_read_is_reproducible(width: int, sep: str) -> None:
    # cat -n, arrow gutters, Claude Code's unpadded "{n}\t", opencode's "{n}: ", hermes' "{n}|".
    lines = CSV_STATS.rstrip("\n").split("\n")
    numbered = "\n".join(f"{i + 1:>{width}}{sep}{line}" for i, line in enumerate(lines))
    (d,) = _detector().scan(_req(_msg("tool", numbered)))
    assert d.kind == "file"
    assert d.decoration is not None
    assert d.decoration.apply(SKILL.text) == numbered[d.start : d.end]


def test_claude_read_of_file_ending_in_newline_renumbers_the_last_empty_line() -> None:
    # Claude Code's Read splits on "\n": a trailing newline reads as one more numbered empty line.
    lines = CSV_STATS.split("\n")
    numbered = "\n".join(f"{i + 1}\t{line}" for i, line in enumerate(lines))
    assert numbered.endswith(f"\n{len(lines)}\t")
    (d,) = _detector().scan(_req(_msg("tool", numbered)))
    assert d.decoration is not None
    assert d.decoration.trailing_blank == 1
    assert (d.start, d.end) == (0, len(numbered))
    longer = SKILL.text + "\nextra line"
    redone = d.decoration.apply(longer)
    assert redone.endswith(f"\n{len(lines)}\textra line\n{len(lines) + 1}\t")


def test_read_cut_short_is_partial_and_not_rewritable() -> None:
    lines = SKILL.body.split("\n")[:8]
    numbered = "\n".join(f"{i + 1:>6}\t{line}" for i, line in enumerate(lines))
    (d,) = _detector().scan(_req(_msg("tool", numbered + "\n... (truncated)")))
    assert d.kind == "partial"
    assert not d.rewritable


def test_partial_body_without_decoration_is_partial() -> None:
    half = "\n".join(SKILL.body.split("\n")[:9])
    (d,) = _detector().scan(_req(_msg("user", half)))
    assert d.kind == "partial"


def test_catalogue_blocks_list_skills_without_bodies() -> None:
    xml = (
        "Use the read tool to load a skill.\n<available_skills>\n<skill>\n<name>csv-stats</name>\n"
        f"<description>{SKILL.description}</description>\n<location>/x/SKILL.md</location>\n"
        "</skill>\n</available_skills>"
    )
    bullets = (
        "## Skills\nA skill is a set of local instructions.\n### Available skills\n"
        f"- csv-stats: {SKILL.description} (file: /x/csv-stats/SKILL.md)\n"
    )
    for text in (xml, bullets):
        (d,) = _detector().scan(_req(_msg("developer", text)))
        assert d.kind == "catalogue"
        assert not d.rewritable


def test_catalogue_entry_with_other_description_is_not_this_skill() -> None:
    text = "<available_skills><skill><name>csv-stats</name><description>Bake bread."
    text += "</description></skill></available_skills>" + "x" * 40
    assert _detector().scan(_req(_msg("system", text))) == []


def test_unknown_skill_file_in_traffic_is_registered() -> None:
    other = make_skill("log-triage", lines=12)
    registered: list[Skill] = []
    registry = SkillRegistry([SKILL])
    detector = Detector(registry, on_new_skill=registered.append)
    (d,) = detector.scan(_req(_msg("tool", other)))
    assert [s.name for s in registered] == ["log-triage"]
    assert registered[0].source == "traffic"
    assert d.kind == "file"
    assert d.skill_hash == registered[0].hash
    assert len(registry) == 2


def test_truncated_file_read_is_not_registered() -> None:
    other = make_skill("log-triage", lines=12) + "\n[Showing lines 1-20 of 400. Output truncated]"
    registry = SkillRegistry([SKILL])
    Detector(registry).scan(_req(_msg("tool", other)))
    assert len(registry) == 1


def test_structured_skill_fields_are_recorded() -> None:
    s = StructuredSkill(source="anthropic.container.skills", kind="custom", skill_id="skill_01")
    (d,) = _detector().scan(_req(_msg("user", "hi"), structured=(s,)))
    assert (d.kind, d.skill_hash) == ("structured", "anthropic.container.skills:skill_01")


def test_unrelated_text_and_lookalikes_are_not_detected() -> None:
    lookalike = "# CSV statistics\n\n## Steps\n\n## Checks\n" + filler(20_000)
    assert _detector().scan(_req(_msg("system", lookalike))) == []


def test_many_skills_each_found_where_it_is() -> None:
    skills = [Skill.parse(make_skill(f"skill-{i}")) for i in range(100)]
    detector = _detector(*skills)
    text = filler(50_000) + "\n" + skills[42].body + "\n" + filler(50_000, seed=3)
    (d,) = detector.scan(_req(_msg("system", text)))
    assert d.skill_hash == skills[42].hash
    assert text[d.start : d.end] == skills[42].body


def test_a_text_seen_before_is_not_scanned_again(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = _detector()
    text = "prefix\n" + SKILL.body
    first = detector.scan(_req(_msg("system", text)))
    calls: list[str] = []
    index = detector.registry.index
    original = index.candidates
    monkeypatch.setattr(index, "candidates", lambda t, *a: calls.append(t) or original(t, *a))
    second = detector.scan(_req(_msg("system", text), _msg("user", "next turn " * 10)))
    assert first == second[:1]
    assert text not in calls


def test_catalogue_before_a_newly_learned_skill_is_reported_in_the_same_request() -> None:
    other = make_skill("log-triage", lines=12)
    learned = Skill.parse(other)
    catalogue = (
        "<available_skills>\n<skill>\n<name>log-triage</name>\n"
        f"<description>{learned.description}</description>\n</skill>\n</available_skills>"
    )
    detector = Detector(SkillRegistry([SKILL]))
    found = detector.scan(_req(_msg("system", catalogue), _msg("tool", other)))
    assert sorted(d.kind for d in found) == ["catalogue", "file"]
    assert {d.skill_hash for d in found} == {learned.hash}
