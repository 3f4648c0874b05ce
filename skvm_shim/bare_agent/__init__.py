"""bare-agent: SkVM's minimal agent loop as a harness, on the ``openai`` or ``anthropic`` SDK.

Five tools (read_file, write_file, list_directory, execute_command, web_fetch) in one work
directory. The profiler measures models through it; the demo and the benchmarks run skills with
it. ``run(task, client=..., model=..., workdir=...)`` returns a :class:`RunResult`.
"""

from __future__ import annotations

from skvm_shim.bare_agent.backends import Api, detect_api
from skvm_shim.bare_agent.loop import (
    HARNESS_ID,
    MAX_STEPS,
    SYSTEM_PROMPT,
    TIMEOUT_S,
    run,
    system_prompt,
)
from skvm_shim.bare_agent.result import RunResult, RunStatus, Step, ToolCallRecord, Usage
from skvm_shim.bare_agent.tools import TOOL_NAMES, TOOL_SPECS, ToolBox, command_env

__all__ = [
    "HARNESS_ID",
    "MAX_STEPS",
    "SYSTEM_PROMPT",
    "TIMEOUT_S",
    "TOOL_NAMES",
    "TOOL_SPECS",
    "Api",
    "RunResult",
    "RunStatus",
    "Step",
    "ToolBox",
    "ToolCallRecord",
    "Usage",
    "command_env",
    "detect_api",
    "run",
    "system_prompt",
]
