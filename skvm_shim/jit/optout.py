"""Per-skill opt-out: ``skvm-shim jit disable SKILL`` or a key in the skill's frontmatter.

Frontmatter: ``metadata: {skvm-jit: off}`` (the Agent Skills ``metadata`` map; a top-level
``skvm-jit`` key works too). ``off``, ``false``, ``no`` and ``disabled`` turn solidification off
for that skill; YAML reads a bare ``off`` as ``False``, which counts too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import yaml

from skvm_shim.jit.records import OPTOUTS, optout_key
from skvm_shim.skills.model import Skill
from skvm_shim.store import Store, StoreUnavailable

FRONTMATTER_KEY = "skvm-jit"
_OFF = frozenset({"off", "false", "no", "disabled", "0"})
_TTL_S = 1.0


def frontmatter_off(skill: Skill) -> bool:
    """Does the skill's own frontmatter turn solidification off?"""
    try:
        text = skill.frontmatter.strip()
        if text.startswith("---"):
            text = text[3:]
        if text.endswith("---"):
            text = text[:-3]
        meta: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    if not isinstance(meta, dict):
        return False
    values = [meta.get(FRONTMATTER_KEY)]
    nested = meta.get("metadata")
    if isinstance(nested, dict):
        values.append(nested.get(FRONTMATTER_KEY))
    return any(v is False or (isinstance(v, str) and v.strip().lower() in _OFF) for v in values)


class OptOuts:
    """Answers "is any of these skills opted out?" from the store (re-read each second) and the
    skills' frontmatter (cached per hash: an edit makes a new hash)."""

    def __init__(self, store: Store, lookup: Callable[[str], Skill | None]) -> None:
        self._store = store
        self._lookup = lookup
        self._lock = threading.Lock()
        self._keys: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._frontmatter: dict[str, bool] = {}

    def any_off(self, skill_hashes: Iterable[str], names: Iterable[str] = ()) -> bool:
        keys = self._stored()
        for h in skill_hashes:
            if optout_key("hash", h) in keys or self._frontmatter_off(h):
                return True
            skill = self._lookup(h)
            if skill is not None and optout_key("name", skill.name) in keys:
                return True
        return any(optout_key("name", n) in keys for n in names)

    def refresh(self) -> None:
        """Re-read the stored opt-outs at the next question (instead of within a second)."""
        with self._lock:
            self._read_at = float("-inf")

    def _stored(self) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            if now - self._read_at < _TTL_S:
                return self._keys
        try:
            keys = frozenset(k for k, _ in self._store.scan(OPTOUTS))
        except StoreUnavailable:
            keys = frozenset()
        with self._lock:
            self._keys, self._read_at = keys, now
        return keys

    def _frontmatter_off(self, skill_hash: str) -> bool:
        with self._lock:
            known = self._frontmatter.get(skill_hash)
        if known is not None:
            return known
        skill = self._lookup(skill_hash)
        if skill is None:
            return False  # not registered yet: ask again next time
        off = frontmatter_off(skill)
        with self._lock:
            if len(self._frontmatter) > 4096:
                self._frontmatter.clear()
            self._frontmatter[skill_hash] = off
        return off
