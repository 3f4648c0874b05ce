"""Which profile serves a (model, harness) pair: a pure function over a collection of profiles.

Chain (docs/design.md, "Profile lookup"): the exact pair; else the same model measured under another
harness, ``bare-agent`` first (SkVM's plain loop is the closest to "the model itself"), then the
newest; else none. Models match by normalised key (see ``compiler.model_ids``) after aliases.
Among several profiles of one pair, a complete one beats a partial one, then the newest wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from compiler.model_ids import ModelAliases
from compiler.tcp import TCP

MatchKind = Literal["exact", "same-model-bare-agent", "same-model-newest"]


@dataclass(frozen=True, slots=True)
class ProfileMatch:
    tcp: TCP
    kind: MatchKind


def _best(candidates: list[TCP]) -> TCP:
    return max(candidates, key=lambda t: (not t.is_partial, t.profiled_at_time, t.profile_id))


def find_profile(
    profiles: Iterable[TCP],
    model: str,
    harness: str,
    *,
    aliases: ModelAliases | Mapping[str, str] | None = None,
) -> ProfileMatch | None:
    resolver = aliases if isinstance(aliases, ModelAliases) else ModelAliases(aliases)
    key = resolver.resolve(model)
    same_model = [t for t in profiles if resolver.resolve(t.model) == key]
    if not same_model:
        return None
    exact = [t for t in same_model if t.harness == harness]
    if exact:
        return ProfileMatch(_best(exact), "exact")
    bare = [t for t in same_model if t.harness == "bare-agent"]
    if bare:
        return ProfileMatch(_best(bare), "same-model-bare-agent")
    return ProfileMatch(_best(same_model), "same-model-newest")
