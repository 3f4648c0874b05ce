"""Tool-call arguments as leaves: which kind each string is, and their canonical form.

Which arguments are shell commands comes from the harness profile (``adapters.harnesses``),
plus a conservative guess for tools no profile names (a ``command``/``cmd``/``script`` string of
a tool called like a shell). Guessing "shell" is always safe: slots in a shell leaf are quoted.
An argument of unknown use is ``text``, whose slots take only inert path-like values.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

from adapters.harnesses import HARNESS_IDS, profile
from skvm_shim.jit.tokens import LeafKind, canonical_leaf

LeafPath = tuple[str | int, ...]
Leaf = str | int | float | bool | None

_SHELL_NAME = re.compile(r"(?i)(bash|shell|terminal|exec|command|run|sh$|zsh|cmd)")
_SHELL_KEYS = frozenset({"command", "cmd", "script", "commands"})
_PATH_KEYS = frozenset(
    {"path", "file_path", "filePath", "filename", "file", "target_file", "notebook_path"}
)
_CODE_KEYS = frozenset({"code", "python_code", "source_code"})
_CONTENT_KEYS = frozenset({"content", "contents", "file_text", "text", "new_content"})
_PYTHON_TOOLS = re.compile(r"(?i)^(python|run_python|execute_python|ipython|py)$")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "/bin/bash", "/bin/sh", "/usr/bin/bash"})
_C_FLAG = re.compile(r"-[a-z]*c[a-z]*")


def parse_arguments(arguments: str) -> tuple[bool, Any]:
    """(is a JSON object, value): the object, or the raw text of free-form arguments."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return False, arguments
    if isinstance(value, dict):
        return True, value
    return False, arguments


def dump_arguments(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def flatten(value: Any, path: LeafPath = ()) -> Iterator[tuple[LeafPath, Leaf]]:
    """Every scalar leaf with its path; containers are walked in order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from flatten(item, (*path, index))
    else:
        yield path, value


def skeleton(value: Any) -> tuple[tuple[LeafPath, str], ...]:
    """The shape of an arguments object: leaf paths and their JSON types."""
    return tuple((p, _type_name(v)) for p, v in flatten(value))


def set_leaf(value: Any, path: LeafPath, leaf: Leaf) -> None:
    target = value
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = leaf


def _type_name(v: Leaf) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if v is None:
        return "null"
    return "string"


def leaf_kind(harness: str, tool: str, call_kind: str, path: LeafPath, args: Any) -> LeafKind:
    """How the string at ``path`` in a call's arguments is read."""
    if not path:
        return "text"
    head = path[0]
    if call_kind == "shell" and head == "commands":
        return "shell"
    if call_kind == "local_shell" and head == "command" and len(path) == 2:
        return _argv_kind(args.get("command"), path[1])
    shell_key, argv = _shell_key(harness, tool)
    if shell_key is not None and head == shell_key:
        if not argv and len(path) == 1:
            return "shell"
        if argv and len(path) == 2 and isinstance(path[1], int):
            return _argv_kind(args.get(head), path[1])
    if (
        shell_key is None
        and isinstance(head, str)
        and head in _SHELL_KEYS
        and _SHELL_NAME.search(tool)
    ):
        if len(path) == 1:
            return "shell"
        if len(path) == 2 and isinstance(path[1], int):
            value = args.get(head)
            if head == "commands":
                return "shell"
            return _argv_kind(value, path[1])
    if len(path) == 1 and isinstance(head, str):
        if head in _CODE_KEYS or (
            _PYTHON_TOOLS.match(tool) and head in ("code", "input", "source")
        ):
            return "python"
        if head in _CONTENT_KEYS and isinstance(args, dict):
            target = next((str(args[k]) for k in _PATH_KEYS if isinstance(args.get(k), str)), "")
            if target.endswith(".py"):
                return "python"
            if target.endswith(".sh"):
                return "shell"
        if head in _PATH_KEYS or head == _read_key(harness, tool):
            return "whole"
    return "text"


def _argv_kind(argv: Any, index: str | int) -> LeafKind:
    """An argv element is a shell script when it follows ``-c`` of a shell, else one word."""
    if not isinstance(argv, list) or not isinstance(index, int) or index < 2:
        return "argv"
    exe, flag = argv[0], argv[index - 1]
    if (
        isinstance(exe, str)
        and isinstance(flag, str)
        and exe.rsplit("/", 1)[-1] in {s.rsplit("/", 1)[-1] for s in _SHELLS}
        and _C_FLAG.fullmatch(flag)
    ):
        return "shell"
    return "argv"


@functools.lru_cache(maxsize=256)
def _shell_key(harness: str, tool: str) -> tuple[str | None, bool]:
    if harness not in HARNESS_IDS:
        harness = "generic"
    found = profile(harness).shell_tool(tool)
    if found is None:
        return None, False
    return found.command_key, found.command_kind == "argv"


@functools.lru_cache(maxsize=256)
def _read_key(harness: str, tool: str) -> str | None:
    if harness not in HARNESS_IDS:
        harness = "generic"
    found = profile(harness).read_tool(tool)
    return found.path_key if found is not None else None


def canonical_call(harness: str, name: str, kind: str, arguments: str) -> object:
    """What an exact prediction must equal: JSON in canonical form, shell commands as token
    lists, Python modulo trailing whitespace."""
    is_json, value = parse_arguments(arguments)
    if not is_json:
        return (name, kind, canonical_leaf("text", str(value).rstrip()))
    leaves = []
    for path, leaf in flatten(value):
        if isinstance(leaf, str):
            leaves.append((path, canonical_leaf(leaf_kind(harness, name, kind, path, value), leaf)))
        else:
            leaves.append((path, json.dumps(leaf)))
    return (name, kind, tuple(sorted(leaves, key=lambda item: json.dumps(item[0]))))
