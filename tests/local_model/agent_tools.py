"""The small agent setup the local-model tests, cassettes and benchmark share.

Two tools an agent harness typically offers, and tasks that SmolLM2-135M turns into the right call
with greedy decoding (measured: see docs/local-model.md).
"""

from __future__ import annotations

from typing import Any

BASE_URL = "http://127.0.0.1:8790/v1"  # the cassettes were recorded against this address
MODEL_ID = "smollm2-135m-instruct"
API_KEY = "sk-local-unused"  # llama.cpp's server ignores it; the SDK insists on one

SYSTEM = "You are a coding agent. Use the tools to act."
READ_TASK = "Read the file README.md."
RUN_TASK = "Run the command `ls -la`."
TEXT_TASK = "What is the capital of France?"

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file from disk and return its text.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string", "description": "Path of the file"}},
                "required": ["path"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "run_command",
            "description": "Run a shell command and return its output.",
            "parameters": {
                "type": "object",
                "properties": {"command": {"type": "string", "description": "The shell command"}},
                "required": ["command"],
            },
        },
    },
]
TOOL_NAMES = frozenset(t["function"]["name"] for t in TOOLS)
REQUIRED_ARGS = {t["function"]["name"]: set(t["function"]["parameters"]["required"]) for t in TOOLS}


def task_messages(task: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task}]
