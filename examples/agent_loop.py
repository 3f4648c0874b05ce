"""A minimal agent loop with Agent Skills, on the openai SDK, patched by skvm-shim.

This is a real (if small) harness: it lists the skills of a folder in its system prompt the way
the Agent Skills integration guide recommends (an ``<available_skills>`` catalogue with file
locations), gives the model ``read_file``, ``write_file`` and ``run_command`` tools in a work
directory, and loops until the model stops calling tools. The one line that involves skvm-shim is
``skvm_shim.patch()`` at start-up.

A careful harness for a small model can also load a skill up front (``--load-skill NAME``: its
SKILL.md goes into the system prompt, as when a user invokes a skill by name, so the model saves
the read), fix the temperature (``--temperature 0``: the same task gets the same answer) and cap
each answer (``--max-tokens N``: a model that rambles inside a tool call stops early).
The tools' JSON schemas go with every request; the embedded local model constrains its
arguments to them with llama.cpp grammars (which still let a raw newline into a string: the loop
answers such a call as invalid JSON, like any other malformed call).

Like a real harness it never crashes on what a model sends: a call with missing, wrong-typed or
non-JSON arguments, or of an unknown tool, gets an error result the model can read and correct.
``write_file`` writes inside the work directory only and does not replace the files that were
there when the task started (the task's inputs) unless the user allows it (``--allow-overwrite``).
``run_command`` is not sandboxed: run the loop in a directory you can afford to lose.

    python examples/agent_loop.py --base-url http://127.0.0.1:8788/v1 --model gpt-4.1 \\
        --skills examples/skills --workdir ./task "Profile data.csv"
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
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


def loaded_skills(skills_dir: Path, names: Sequence[str]) -> str:
    """The named skills' SKILL.md files, each in a ``<skill>`` block, for the system prompt."""
    blocks = []
    for name in names:
        skill_md = skills_dir / name / "SKILL.md"
        if not skill_md.is_file():
            raise ValueError(f"no skill {name!r}: {skill_md} does not exist")
        blocks.append("<skill>\n" + skill_md.read_text(encoding="utf-8").strip() + "\n</skill>")
    return "\n\n".join(blocks)


def system_prompt(workdir: Path, skills_dir: Path, load: Sequence[str] = ()) -> str:
    """The system message: the loaded skills' text when ``load`` names some, else the catalogue.

    The work directory comes last, so every task's prompt starts the same (a server that caches
    the prompt's prefix, as llama.cpp does, does not read the skills again for each task).
    """
    if load:
        head = "You are a careful coding agent. Follow the skill below.\n\n"
        skills = loaded_skills(skills_dir, load)
    else:
        head = (
            "You are a careful coding agent. Use the read_file tool to load a skill's SKILL.md "
            "when a task matches its description, then follow it.\n\n"
        )
        skills = skill_catalogue(skills_dir)
    return f"{head}{skills}\n\nYou work in {workdir}."


def _frontmatter(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if text.startswith("---"):
        for line in text.split("\n")[1:]:
            if line.strip() == "---":
                break
            key, _, value = line.partition(":")
            out[key.strip()] = value.strip()
    return out


STEP_LIMIT = "(stopped: step limit reached)"
"""What ``run_agent`` returns when the model was still calling tools after ``max_steps`` turns."""


class ToolError(Exception):
    """A tool call the harness refuses or could not run; its message goes back to the model."""


_SCHEMAS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
_JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool}


def input_files(workdir: Path) -> frozenset[Path]:
    """The files in ``workdir`` before the task starts: the task's inputs."""
    return frozenset(p.resolve() for p in workdir.rglob("*") if p.is_file())


def parse_arguments(name: str, raw: str | None) -> dict[str, Any]:
    """The call's arguments as the tool's schema wants them, or ToolError saying what is wrong."""
    schema = _SCHEMAS.get(name)
    if schema is None:
        raise ToolError(f"unknown tool {name!r}; the tools are {', '.join(_SCHEMAS)}")
    try:
        arguments = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise ToolError(f"the arguments of {name} are not valid JSON ({exc.msg})") from None
    if not isinstance(arguments, dict):
        raise ToolError(f"the arguments of {name} must be a JSON object")
    wanted = schema["properties"]
    signature = ", ".join(f'"{k}": {v["type"]}' for k, v in wanted.items())
    missing = [key for key in schema.get("required", ()) if key not in arguments]
    if missing:
        names = ", ".join(repr(key) for key in missing)
        raise ToolError(f"{name} needs {names}: call it with {{{signature}}}")
    for key, spec in wanted.items():
        if key in arguments and not _is_type(arguments[key], spec["type"]):
            got = type(arguments[key]).__name__
            raise ToolError(f"{name}: {key!r} must be a {spec['type']}, not {got}")
    return arguments


def _is_type(value: Any, json_type: str) -> bool:
    expected = _JSON_TYPES.get(json_type, object)
    return isinstance(value, expected) and not (json_type != "boolean" and isinstance(value, bool))


def run_tool(
    name: str,
    arguments: dict[str, Any],
    workdir: Path,
    *,
    protected: frozenset[Path] = frozenset(),
    allow_overwrite: bool = False,
) -> str:
    """Execute one tool call of the model (this harness's tools, in its work directory).

    Raises ToolError for a call it refuses; ``protected`` files are not replaced by
    ``write_file`` unless ``allow_overwrite``.
    """
    if name == "read_file":
        path = Path(arguments["path"]).expanduser()
        path = path if path.is_absolute() else workdir / path
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ToolError(f"cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ToolError(f"cannot read {path}: not UTF-8 text") from None
    if name == "write_file":
        root = workdir.resolve()
        target = (root / arguments["path"]).resolve()
        if not target.is_relative_to(root) or target == root:
            raise ToolError(f"write_file writes inside the work directory {root} only")
        if target in protected and not allow_overwrite:
            raise ToolError(
                f"{arguments['path']} is an input of the task (it was in the work directory "
                "when the task started) and is not replaced; write the result to a new file"
            )
        content = arguments["content"]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise ToolError(f"cannot write {arguments['path']}: {exc.strerror or exc}") from None
        return f"wrote {len(content)} characters to {arguments['path']}"
    if name == "run_command":
        try:
            proc = subprocess.run(
                ["bash", "-c", arguments["command"]],
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ToolError("the command did not finish within 60 s and was stopped") from None
        return f"exit code {proc.returncode}\n{proc.stdout}{proc.stderr}"
    raise ToolError(f"unknown tool {name!r}")


def call_tool(
    name: str,
    raw_arguments: str | None,
    workdir: Path,
    *,
    protected: frozenset[Path] = frozenset(),
    allow_overwrite: bool = False,
) -> tuple[str, bool]:
    """The result text of one tool call and whether it failed; never raises."""
    try:
        arguments = parse_arguments(name, raw_arguments)
        output = run_tool(
            name, arguments, workdir, protected=protected, allow_overwrite=allow_overwrite
        )
    except ToolError as exc:
        return f"Error: {exc}", True
    except Exception as exc:  # a harness reports a broken tool to the model, it does not die
        return f"Error: {name} failed: {type(exc).__name__}: {exc}", True
    return output, False


def run_agent(
    client: Any,
    *,
    model: str,
    task: str,
    skills_dir: Path,
    workdir: Path,
    max_steps: int = 12,
    allow_overwrite: bool = False,
    load: Sequence[str] = (),
    temperature: float | None = None,
    max_tokens: int | None = None,
    echo: Callable[[str], None] = print,
) -> str:
    """Run the loop until the model answers without tool calls; returns that answer.

    The files in ``workdir`` at start are the task's inputs: ``write_file`` does not replace
    them unless ``allow_overwrite``. ``load`` names skills to put in the system prompt (else the
    catalogue is listed); ``temperature`` and ``max_tokens`` (per answer) are sent when given;
    ``echo`` shows each tool call.
    """
    protected = input_files(workdir)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(workdir, skills_dir, load)},
        {"role": "user", "content": task},
    ]
    sampling: dict[str, Any] = {}
    if temperature is not None:
        sampling["temperature"] = temperature
    if max_tokens is not None:
        sampling["max_tokens"] = max_tokens
    for _ in range(max_steps):
        response = client.chat.completions.create(
            model=model, messages=messages, tools=TOOLS, **sampling
        )
        message = response.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        if not message.tool_calls:
            return message.content or ""
        for call in message.tool_calls:
            name, raw = call.function.name, call.function.arguments
            echo(f"  tool  {name} {shlex.quote(raw or '')[:100]}")
            output, failed = call_tool(
                name, raw, workdir, protected=protected, allow_overwrite=allow_overwrite
            )
            if failed:
                echo(f"        {output[:100]}")
            messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
    return STEP_LIMIT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"))
    parser.add_argument("--model", default="gpt-4.1-mini")
    parser.add_argument("--skills", type=Path, default=Path(__file__).parent / "skills")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="Work directory (default: a temporary one)."
    )
    parser.add_argument(
        "--load-skill",
        action="append",
        default=[],
        metavar="NAME",
        help="Put this skill's SKILL.md in the system prompt (repeatable); else list a catalogue.",
    )
    parser.add_argument(
        "--temperature", type=float, default=None, help="Sampling temperature (default: unset)."
    )
    parser.add_argument(
        "--max-tokens", type=int, default=None, help="Cap on each answer's tokens (default: unset)."
    )
    parser.add_argument(
        "--allow-overwrite",
        action="store_true",
        help="Let write_file replace the files that were in the work directory at start.",
    )
    args = parser.parse_args(argv)

    import skvm_shim

    skvm_shim.patch(skills=[args.skills])  # the only skvm-shim line a harness needs

    import openai

    client = openai.OpenAI(base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY", "x"))
    with contextlib.ExitStack() as stack:
        workdir = args.workdir
        if workdir is None:  # removed at exit: pass --workdir to keep what the agent wrote
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="agent-")))
        answer = run_agent(
            client,
            model=args.model,
            task=args.task,
            skills_dir=args.skills,
            workdir=workdir,
            allow_overwrite=args.allow_overwrite,
            load=args.load_skill,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
        )
    print(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
