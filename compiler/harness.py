"""Harness facts the compiler needs, passed in as plain data (the compiler imports no adapters)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HarnessFacts(BaseModel):
    """What the target harness can do. Defaults describe an unknown (generic) harness."""

    model_config = ConfigDict(frozen=True)

    harness: str = "generic"
    tool_names: dict[str, str] = Field(
        default_factory=dict
    )  # role -> name: shell, read, write, fetch
    parallel_tool_calls: bool = False  # dispatches several tool calls of one turn
    subagents: bool = False  # can start sub-agents

    def tool(self, role: str, default: str) -> str:
        return self.tool_names.get(role, default)
