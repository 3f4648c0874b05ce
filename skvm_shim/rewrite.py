"""Replace detected skill text with its variant, touching nothing else in the request body.

Only whole occurrences are replaced (the skill's full file or full body in one text part); a
line-numbered file read is replaced only when its numbering can be reproduced exactly. Each text
is edited at its own path, so message order, roles and Anthropic ``cache_control`` placement stay
as they were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.edit import get_at, replace_many
from adapters.ir import Path
from skvm_shim.records import VariantRecord
from skvm_shim.skills.detect import Detection
from skvm_shim.skills.model import split_variant


class RewriteConflict(ValueError):
    """The text at a detection's path is not what the detector saw (a stale detection)."""


@dataclass(frozen=True, slots=True)
class RewriteResult:
    body: Mapping[str, Any]
    replaced: int
    bytes_saved: int


def replacement_text(detection: Detection, variant: VariantRecord) -> str:
    text = variant.text if detection.kind == "file" else split_variant(variant.text)[1]
    if detection.decoration is not None:
        text = detection.decoration.apply(text)
    return text


def rewrite(
    body: Mapping[str, Any], planned: list[tuple[Detection, VariantRecord]]
) -> RewriteResult:
    """Apply every (detection, variant) pair; raises RewriteConflict on a stale detection."""
    by_path: dict[Path, list[tuple[Detection, str]]] = defaultdict(list)
    for detection, variant in planned:
        if detection.rewritable:
            by_path[detection.path].append((detection, replacement_text(detection, variant)))
    if not by_path:
        return RewriteResult(body, 0, 0)
    edits: dict[Path, str] = {}
    saved = 0
    count = 0
    for path, items in by_path.items():
        text = get_at(body, path)
        if not isinstance(text, str):
            raise RewriteConflict(f"no text at {path!r}")
        items.sort(key=lambda item: item[0].start, reverse=True)
        last_start = len(text) + 1
        for detection, new in items:
            if detection.end > last_start:
                continue  # overlapping matches of two skills: keep the later one only
            old = text[detection.start : detection.end]
            if detection.end > len(text) or not old:
                raise RewriteConflict(f"span {detection.start}:{detection.end} outside {path!r}")
            text = text[: detection.start] + new + text[detection.end :]
            saved += len(old.encode()) - len(new.encode())
            last_start = detection.start
            count += 1
        edits[path] = text
    return RewriteResult(replace_many(body, edits), count, saved)
