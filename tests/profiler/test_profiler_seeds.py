"""Seeded generation: the same (seed, instance) gives the same probe; others give new ones."""

from __future__ import annotations

import pytest

from compiler.primitives import PRIMITIVE_IDS
from skvm_shim.profiler.generators import CATALOGUE, generator, primitives, select
from skvm_shim.profiler.probe import Generator, Probe


def _snapshot(p: Probe) -> tuple[object, ...]:
    return (p.prompt, dict(p.files), sorted(p.routes), p.good, p.bad, p.requires, p.fingerprint())


def test_catalogue_covers_every_primitive_at_three_levels() -> None:
    assert set(primitives()) == set(PRIMITIVE_IDS)
    assert sorted((g.primitive, g.level) for g in CATALOGUE) == sorted(
        (p, lv) for p in PRIMITIVE_IDS for lv in (1, 2, 3)
    )
    assert all(len(g.description) > 20 for g in CATALOGUE), "each level states what it tests"


@pytest.mark.parametrize("gen", CATALOGUE, ids=lambda g: g.key)
def test_same_seed_same_instance(gen: Generator) -> None:
    for index in range(3):
        assert _snapshot(gen.instance(11, index)) == _snapshot(gen.instance(11, index))


@pytest.mark.parametrize("gen", CATALOGUE, ids=lambda g: g.key)
def test_instances_and_seeds_vary(gen: Generator) -> None:
    by_index = {gen.instance(11, i).fingerprint() for i in range(6)}
    by_seed = {gen.instance(s, 0).fingerprint() for s in range(6)}
    assert len(by_index) >= 3, "instances of one level should not repeat"
    assert len(by_seed) >= 3, "seeds should give different instances"


def test_instance_does_not_depend_on_generation_order() -> None:
    later = generator("tool.exec", 2).instance(5, 1)
    for g in CATALOGUE:  # drawing other instances first must not shift this one
        g.instance(5, 0)
    assert _snapshot(generator("tool.exec", 2).instance(5, 1)) == _snapshot(later)


def test_select_rejects_unknown_primitives() -> None:
    assert {g.primitive for g in select(["tool.web"])} == {"tool.web"}
    with pytest.raises(KeyError, match=r"tool\.nope"):
        select(["tool.nope"])
