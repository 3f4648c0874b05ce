"""A minimal agent loop with Agent Skills, on the openai SDK, patched by skvm-shim.

This is a real (if small) harness: it lists the skills of a folder in its system prompt the way
the Agent Skills integration guide recommends (an ``<available_skills>`` catalogue with file
locations), gives the model ``read_file``, ``write_file`` and ``run_command`` tools in a work
directory, and loops until the model stops calling tools. The one line that involves skvm-shim is
``skvm_shim.patch()`` at start-up.

    python examples/agent_loop.py --base-url http://127.0.0.1:8788/v1 --model gpt-4.1 \\
        --skills examples/skills "Profile data.csv"
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a text file and return its content.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "write_file",
            "description": "Write text to a file in the work directory.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                "required": ["path", "content"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "run_command",
            "description": "Run a shell command in the work directory; returns its output.",
            "parameters": {
                "type": "object",
                "properties": {"command": {"type": "string"}},
                "required": ["command"],
            },
        },
    },
]


def skill_catalogue(skills_dir: Path) -> str:
    """The ``<available_skills>`` block for every skill folder in ``skills_dir``."""
    entries = []
    for skill_md in sorted(skills_dir.glob("*/SKILL.md")):
        meta = _frontmatter(skill_md.read_text(encoding="utf-8"))
        entries.append(
            "<skill>\n"
            f"<name>{meta.get('name', skill_md.parent.name)}</name>\n"
            f"<description>{meta.get('description', '')}</description>\n"
            f"<location>{skill_md.resolve()}</location>\n"
            "</skill>"
        )
    return "<available_skills>\n" + "\n".join(entries) + "\n</available_skills>"


def _frontmatter(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if text.startswith("---"):
        for line in text.split("\n")[1:]:
            if line.strip() == "---":
                break
            key, _, value = line.partition(":")
            out[key.strip()] = value.strip()
    return out


def run_tool(name: str, arguments: dict[str, Any], workdir: Path) -> str:
    """Execute one tool call of the model (this harness's tools, in its work directory)."""
    if name == "read_file":
        path = Path(arguments["path"])
        path = path if path.is_absolute() else workdir / path
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            return f"Error: cannot read {path}: {exc.strerror}"
    if name == "write_file":
        target = workdir / arguments["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(arguments["content"], encoding="utf-8")
        return f"wrote {len(arguments['content'])} characters to {arguments['path']}"
    if name == "run_command":
        proc = subprocess.run(
            ["bash", "-c", arguments["command"]],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return f"exit code {proc.returncode}\n{proc.stdout}{proc.stderr}"
    return f"Error: unknown tool {name}"


def run_agent(
    client: Any, *, model: str, task: str, skills_dir: Path, workdir: Path, max_steps: int = 12
) -> str:
    """Run the loop until the model answers without tool calls; returns that answer."""
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": "You are a careful coding agent working in "
            f"{workdir}. Use the read_file tool to load a skill's SKILL.md when a task matches "
            "its description, then follow it.\n\n" + skill_catalogue(skills_dir),
        },
        {"role": "user", "content": task},
    ]
    for _ in range(max_steps):
        response = client.chat.completions.create(model=model, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        if not message.tool_calls:
            return message.content or ""
        for call in message.tool_calls:
            try:
                arguments = json.loads(call.function.arguments or "{}")
            except json.JSONDecodeError:
                arguments = {}
            print(f"  tool  {call.function.name} {shlex.quote(json.dumps(arguments))[:100]}")
            output = run_tool(call.function.name, arguments, workdir)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
    return "(stopped: step limit reached)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"))
    parser.add_argument("--model", default="gpt-4.1-mini")
    parser.add_argument("--skills", type=Path, default=Path(__file__).parent / "skills")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)

    import skvm_shim

    skvm_shim.patch(skills=[args.skills])  # the only skvm-shim line a harness needs

    import openai

    client = openai.OpenAI(base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY", "x"))
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="agent-"))
    answer = run_agent(
        client, model=args.model, task=args.task, skills_dir=args.skills, workdir=workdir
    )
    print(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
