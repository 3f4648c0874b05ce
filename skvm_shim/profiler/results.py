"""Raw per-instance results: one JSON line each, appended as instances finish.

The file is the checkpoint: a run interrupted at any point resumes from it (instances already
recorded under the same settings and the same probe are not run again), and the profile is a pure
function of it (:func:`skvm_shim.profiler.assemble.build_profile`), so anyone can recompute the
levels from the committed raw results.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT = 1


class RunSettings(BaseModel):
    """What makes two runs comparable; a resumed run must use the same."""

    model_config = ConfigDict(frozen=True)

    model: str
    harness: str
    api: Literal["openai", "anthropic"]
    seed: int
    max_steps: int
    timeout_s: float
    temperature: float | None = None
    max_tokens: int | None = None


class Header(BaseModel):
    kind: Literal["header"] = "header"
    format: int = FORMAT
    settings: RunSettings
    endpoint: str
    """The base URL profiled (credentials are never recorded)."""
    shim_version: str
    started_at: str


class TokenCounts(BaseModel):
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0


class InstanceRecord(BaseModel):
    kind: Literal["instance"] = "instance"
    primitive: str
    level: int
    instance: int
    probe: str
    """The probe's fingerprint: a record counts only for the instance it was measured on."""
    description: str = ""
    """The generator's one-line description (the profile's ``testDescription``)."""
    verdict: Literal["passed", "failed", "skipped"]
    detail: str = ""
    checks: list[dict[str, Any]] = Field(default_factory=list)
    status: str = ""
    answer: str = ""
    steps: int = 0
    llm_calls: int = 0
    tool_calls: int = 0
    tokens: TokenCounts = Field(default_factory=TokenCounts)
    duration_ms: float = 0.0
    llm_ms: float = 0.0
    finished_at: str = ""
    transcript: list[dict[str, Any]] | None = None
    """The conversation, kept for failed and skipped instances."""

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.primitive, self.level, self.instance)


class RawResults:
    """The JSONL file: a header line, then instance records (a later record of the same instance
    supersedes an earlier one). Appends are flushed and fsynced one line at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> tuple[Header | None, list[InstanceRecord]]:
        if not self.path.is_file():
            return None, []
        header: Header | None = None
        records: dict[tuple[str, int, int], InstanceRecord] = {}
        with self.path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError:
                    if number > 1 and not line.endswith("\n"):
                        break  # a line cut short by an interruption
                    raise ValueError(f"{self.path}:{number}: not JSON") from None
                if data.get("kind") == "header":
                    header = Header.model_validate(data)
                else:
                    record = InstanceRecord.model_validate(data)
                    records[record.key] = record
        return header, list(records.values())

    def start(self, header: Header) -> None:
        """A new file with ``header`` (any existing file is replaced)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(_line(header), encoding="utf-8")
        os.replace(tmp, self.path)

    def append(self, records: Iterable[InstanceRecord]) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            for record in records:
                f.write(_line(record))
            f.flush()
            os.fsync(f.fileno())

    def repair_tail(self) -> None:
        """Cut a last line an interruption left unfinished, so appends start on a new line."""
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with self.path.open("r+b") as f:
                f.truncate(cut)


def _line(model: BaseModel) -> str:
    return (
        json.dumps(model.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
    )
