from __future__ import annotations

import re
from collections import Counter

import pytest

from compiler import CATALOGUE, PRIMITIVES, Category, Level, get_primitive
from compiler.marker import INTERNAL_HEADER, INTERNAL_HEADER_VALUE


def test_catalogue_has_the_26_primitives_in_four_categories() -> None:
    assert len(PRIMITIVES) == 26
    assert len(CATALOGUE) == 26
    counts = Counter(p.category for p in PRIMITIVES)
    assert counts == {
        Category.GENERATION: 9,
        Category.REASONING: 5,
        Category.TOOL_USE: 7,
        Category.INSTRUCTION_FOLLOWING: 5,
    }


def test_ids_follow_the_skvm_shape_and_match_their_category() -> None:
    prefix = {
        Category.GENERATION: "gen",
        Category.REASONING: "reason",
        Category.TOOL_USE: "tool",
        Category.INSTRUCTION_FOLLOWING: "follow",
    }
    for p in PRIMITIVES:
        assert re.fullmatch(r"(gen|reason|tool|follow)(\.[a-z]+){1,2}", p.id)
        assert p.id.split(".")[0] == prefix[p.category]
        assert p.l1
        assert p.l2
        assert p.l3
        assert p.description


def test_every_level_has_a_meaning_and_l0_means_absence() -> None:
    p = get_primitive("gen.code.python")
    assert "third-party" in p.meaning(Level.L3)
    assert "standard library" in p.meaning(Level.L2)
    assert "fails" in p.meaning(Level.L0)


def test_lowering_guidance_follows_the_required_level() -> None:
    shell = get_primitive("gen.code.shell")
    assert "awk" in (shell.lowering(Level.L3) or "")  # L3 -> L2: replace sed/awk/xargs
    assert "one command per step" in (shell.lowering(Level.L2) or "")
    assert shell.lowering(Level.L1) is None  # nothing below L1
    # tool.browser L2->L1 cannot be degraded without changing the task (substitution only)
    assert get_primitive("tool.browser").lowering(Level.L2) is None
    assert all(p.lower_3_to_2 for p in PRIMITIVES)


def test_unknown_primitive_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown primitive"):
        get_primitive("gen.code.cobol")


def test_level_parsing() -> None:
    assert Level.parse("L2") is Level.L2
    assert Level.parse("l3") is Level.L3
    assert Level.parse(0) is Level.L0
    assert str(Level.L1) == "L1"
    with pytest.raises(ValueError, match="not a capability level"):
        Level.parse("high")


def test_internal_marker_header() -> None:
    assert INTERNAL_HEADER == "X-Skvm-Internal"
    assert INTERNAL_HEADER_VALUE == "1"
