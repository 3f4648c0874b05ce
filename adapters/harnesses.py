"""Harness profiles: how each agent harness presents skills and names its tools.

Provider specifics are data (one frozen :class:`HarnessProfile` per harness id) plus one small
matching function, :func:`identify_harness`, that runs on every LLM call. The facts come from
requests captured from the real CLIs against a loopback stub (Claude Code 2.1.197, Codex 0.169.0,
pi 0.73.1, opencode 1.18.33, openai-agents 0.24.0; fixtures in
``tests/fixtures/harness_requests``). Profiles marked "from source" (hermes, openclaw, bare-agent)
were read from the harness's code, not captured.

Decorations (line-number gutters, envelopes around tool output) are described as regexes with an
exact inverse, so a caller can lift a skill body out of a tool result, rewrite it, and put it back
byte for byte: ``decoration.render(decoration.split(text)) == text``.

How each harness reports a failed tool call (:class:`ToolErrors`, a shell tool's
:class:`ExitStatus`) is data too; the failure texts of pi, Claude Code and Codex were captured
from the CLIs running failing calls (tests/runtime/test_tool_outcome.py holds them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from adapters.ir import WireFormat

__all__ = [
    "HARNESS_IDS",
    "CatalogMarker",
    "Decorated",
    "Decoration",
    "ExitStatus",
    "HarnessProfile",
    "ReadTool",
    "Recognition",
    "ShellTool",
    "SkillInjection",
    "SkillTool",
    "ToolErrors",
    "identify_harness",
    "profile",
    "profiles",
]

HARNESS_IDS: tuple[str, ...] = (
    "generic",
    "bare-agent",
    "openclaw",
    "hermes",
    "claude-code",
    "codex",
    "pi",
    "opencode",
    "openai-agents",
)
"""Every harness id, spelled as the store, CLI flags and spans spell it (docs/design.md)."""

CommandKind = Literal["string", "argv"]
BodyPlace = Literal["result", "sibling_text", "none"]
CatalogPlace = Literal["system", "developer", "user"]


# ------------------------------------------------------------------------------------ decorations
@dataclass(frozen=True, slots=True)
class Decorated:
    """Tool output split into its decoration and the undecorated text it carries."""

    header: str
    content: str
    footer: str
    first_line: int | None = None
    """Number of the first line when the decoration numbers lines, else ``None``."""


@dataclass(frozen=True, slots=True)
class Decoration:
    """How a harness wraps text it hands to the model (a file's lines, a skill body).

    ``header`` must match at the start and ``footer`` at the end of the text (both may capture
    named groups such as ``path``); ``line_prefix`` must match at the start of every line in
    between and is rendered back with ``line_format`` (``{n}`` = line number, ``{line}`` = the
    line). When ``json_field`` is set the tool output is a JSON object and the decoration applies
    to that field's decoded string, which the caller extracts first.
    """

    description: str
    header: re.Pattern[str] | None = None
    footer: re.Pattern[str] | None = None
    line_prefix: re.Pattern[str] | None = None
    line_format: str | None = None
    json_field: str | None = None

    @property
    def is_plain(self) -> bool:
        return self.header is None and self.footer is None and self.line_prefix is None

    def split(self, text: str) -> Decorated | None:
        """The decoration and content of ``text``, or None when ``text`` does not carry it."""
        header = footer = ""
        body = text
        if self.header is not None:
            m = self.header.match(body)
            if m is None:
                return None
            header, body = body[: m.end()], body[m.end() :]
        if self.footer is not None:
            m = self.footer.search(body)
            if m is None:
                return None
            body, footer = body[: m.start()], body[m.start() :]
        if self.line_prefix is None:
            return Decorated(header, body, footer)
        lines: list[str] = []
        first: int | None = None
        for raw in body.split("\n"):
            m = self.line_prefix.match(raw)
            if m is None:
                return None
            number = int(m.group("n"))
            if first is None:
                first = number
            elif number != first + len(lines):
                return None
            lines.append(raw[m.end() :])
        return Decorated(header, "\n".join(lines), footer, first)

    def render(self, decorated: Decorated) -> str:
        """The exact inverse of :meth:`split` (``content`` may have been rewritten meanwhile)."""
        body = decorated.content
        if self.line_prefix is not None and self.line_format is not None:
            start = decorated.first_line if decorated.first_line is not None else 1
            body = "\n".join(
                self.line_format.format(n=start + i, line=line)
                for i, line in enumerate(body.split("\n"))
            )
        return decorated.header + body + decorated.footer


PLAIN = Decoration("none: the text is passed through as is")


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


# ------------------------------------------------------------------------------------ tool shapes
@dataclass(frozen=True, slots=True)
class ExitStatus:
    """Where a shell tool's result states how the command ended.

    Each pattern is searched in the result text and anchored by its author. Group ``code`` is the
    exit code: non-zero is a failure and zero a success, whatever the output says. A match with
    ``code`` unset (Codex's envelope of a command still running) says the command has not failed.
    ``only_on_failure``: the harness writes the status only for a failed command (pi), so a result
    without it succeeded unless one of the harness's error forms matches.
    """

    patterns: tuple[re.Pattern[str], ...]
    only_on_failure: bool = False


@dataclass(frozen=True, slots=True)
class ToolErrors:
    """How a harness tells the model that a tool call failed.

    ``flagged``: in a format whose wire has an error flag (Anthropic ``is_error``), the harness
    sets it on every failed result, a shell command's non-zero exit included, so there a result
    without the flag succeeded. ``forms``: the texts the harness itself writes for a failed call
    of any of its tools (its error envelope), searched in the result; each is anchored by its
    author (``\\A`` a prefix, ``\\Z`` a footer, both the whole text), so a file that merely
    mentions an error never matches.
    """

    flagged: bool = False
    forms: tuple[re.Pattern[str], ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class ShellTool:
    """A tool that runs a shell command; ``command_key`` holds it as a string or an argv list."""

    name: str
    command_key: str
    command_kind: CommandKind = "string"
    output: Decoration = PLAIN
    exit_status: ExitStatus | None = None


@dataclass(frozen=True, slots=True)
class ReadTool:
    """A tool that returns a file's text; ``path_key`` holds the path argument."""

    name: str
    path_key: str
    output: Decoration = PLAIN


@dataclass(frozen=True, slots=True)
class SkillTool:
    """A tool the model calls to load a skill by name.

    ``body_in`` says where the SKILL.md body arrives: in the tool ``result``, in a text part next
    to the result in the same message (``sibling_text``, Claude Code), or nowhere (``none``: the
    tool only stages files that the model then reads with a shell/read tool).
    """

    name: str
    name_key: str
    body_in: BodyPlace
    body: Decoration = PLAIN
    keeps_frontmatter: bool = False


@dataclass(frozen=True, slots=True)
class SkillInjection:
    """A skill body the harness puts into a message by itself (no tool call): a ``$name``
    mention, a slash command, or SkVM's inject mode."""

    trigger: str
    role: CatalogPlace
    body: Decoration
    keeps_frontmatter: bool


@dataclass(frozen=True, slots=True)
class CatalogMarker:
    """Where the skill catalogue (name + description per skill) sits in a request.

    The block runs from ``start`` to ``end`` (``None``: to the end of the text part) inside a
    text part of role ``role`` (``system`` covers Anthropic ``system``, Responses
    ``instructions`` and system messages). ``intro`` is prose the harness puts just before it.
    ``entry`` matches one skill (groups ``name``, ``description``, optional ``location``);
    ``root`` matches Codex's short-path root lines (groups ``root``, ``path``).
    """

    role: CatalogPlace
    start: str
    end: str | None
    entry: re.Pattern[str]
    intro: str | None = None
    root: re.Pattern[str] | None = None

    def block(self, text: str) -> str | None:
        """The catalogue block inside ``text`` (markers excluded), or None."""
        i = text.find(self.start)
        if i < 0:
            return None
        i += len(self.start)
        if self.end is None:
            return text[i:]
        j = text.find(self.end, i)
        return text[i:j] if j >= 0 else None

    def entries(self, text: str) -> list[dict[str, str | None]]:
        """The skills listed in the catalogue inside ``text`` (empty when there is none)."""
        block = self.block(text)
        if block is None:
            return []
        return [m.groupdict() for m in self.entry.finditer(block)]


@dataclass(frozen=True, slots=True)
class Recognition:
    """How a request shows which harness sent it.

    ``headers``: (lower-case header name, substring) pairs, any one suffices; an empty substring
    means the header's presence suffices. ``text_markers``: substrings of the first few hundred
    characters of the system/developer text. ``tool_sets``: sets of tool names that must all be
    offered.
    """

    headers: tuple[tuple[str, str], ...] = ()
    text_markers: tuple[str, ...] = ()
    tool_sets: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, slots=True)
class HarnessProfile:
    """What the shim knows about one harness."""

    id: str
    formats: frozenset[WireFormat]
    recognition: Recognition = Recognition()
    shell_tools: tuple[ShellTool, ...] = ()
    read_tools: tuple[ReadTool, ...] = ()
    skill_tools: tuple[SkillTool, ...] = ()
    injections: tuple[SkillInjection, ...] = ()
    catalogs: tuple[CatalogMarker, ...] = ()
    skill_dirs: tuple[str, ...] = ()
    """Where it discovers skills: ``~`` = home, else relative to the project directory."""
    source: str = ""
    """Where the facts come from (captured version, or source code read)."""
    parallel_tool_calls: bool = False
    """Runs the tool calls of one assistant turn concurrently (the compiler keeps ILP hints)."""
    subagents: bool = False
    """Offers the model a tool that starts a sub-agent (the compiler keeps TLP hints)."""
    tool_errors: ToolErrors = ToolErrors()
    """How it reports a failed tool call (``skvm_shim.telemetry.tool_outcome`` judges by it)."""

    def shell_tool(self, name: str) -> ShellTool | None:
        return next((t for t in self.shell_tools if t.name == name), None)

    def read_tool(self, name: str) -> ReadTool | None:
        return next((t for t in self.read_tools if t.name == name), None)

    def skill_tool(self, name: str) -> SkillTool | None:
        return next((t for t in self.skill_tools if t.name == name), None)


# ------------------------------------------------------------------------------ shared decorations
_EXEC_COMMAND_OUTPUT = Decoration(
    "Codex unified-exec envelope: 'Chunk ID: <6 hex>\\nWall time: <s.ssss> seconds\\n' then"
    " optional 'Process exited with code <n>\\n', 'Process running with session ID <n>\\n',"
    " 'Original token count: <n>\\n' lines, then 'Output:\\n' and the raw output",
    header=_re(
        r"Chunk ID: [0-9a-f]+\nWall time: \d+(?:\.\d+)? seconds\n"
        r"(?:Process exited with code -?\d+\n)?(?:Process running with session ID \d+\n)?"
        r"(?:Original token count: \d+\n)?Output:\n"
    ),
)
_AVAILABLE_SKILLS_XML = _re(
    r"<skill>\s*<name>(?P<name>[^<]*)</name>\s*<description>(?P<description>[^<]*)</description>"
    r"\s*<location>(?P<location>[^<]*)</location>\s*</skill>"
)
_DASH_ENTRY_WITH_FILE = re.compile(
    r"^- (?P<name>[^:\n]+): (?P<description>[^\n]*) \(file: (?P<location>[^)\n]+)\)$", re.M
)
_EXEC_COMMAND = ShellTool(
    "exec_command",
    "cmd",
    "string",
    _EXEC_COMMAND_OUTPUT,
    # The envelope's status line; without it the command is still running.
    ExitStatus(
        (
            _re(
                r"\AChunk ID: [0-9a-f]+\nWall time: [^\n]*\n"
                r"(?:Process exited with code (?P<code>-?\d+)\n)?"
            ),
        )
    ),
)
_CODEX_SHELL_EXIT = ExitStatus(
    (
        _re(r"\AExit code: (?P<code>-?\d+)\nWall time: "),  # freeform output of shell tools
        _re(r'\A\{"output":.*"metadata":\{"exit_code":(?P<code>-?\d+)'),  # structured output
    )
)
_ALL_FORMATS = frozenset(WireFormat)

# -------------------------------------------------------------------------- shared error reports
_PI_CORE_ERRORS = ToolErrors(
    flagged=True,
    forms=(
        # A tool that throws: its message is the whole result (pi-agent-core createErrorToolResult).
        _re(r"\AE[A-Z]{2,}: [^\n]*\Z"),  # node fs: "ENOENT: no such file or directory, access 'p'"
        _re(r"\ATool \S+ not found\Z"),
        _re(r'\AValidation failed for tool "[^"\n]*":\n'),
        _re(r"\AOffset \d+ is beyond end of file \(\d+ lines total\)\Z"),
        _re(
            r"\A(?:Path not found|Not a directory|Cannot read directory|Could not edit file"
            r"|Failed to run (?:fd|ripgrep)): [^\n]*\Z"
        ),
        _re(
            r"\A(?:Could not find (?:the exact text|edits\[\d+\]) in|Found \d+ occurrences of"
            r" (?:the text|edits\[\d+\]) in|No changes made to) [^\n]*\Z"
        ),
        _re(r"\AOperation aborted\Z"),
        _re(r"(?:\A|\n\n)Command (?:aborted|timed out after \d+ seconds)\Z"),
    ),
    description="a tool that throws returns its error message as the whole result (node fs"
    " errors as 'ENOENT: ...'), flagged isError; bash appends '\\n\\nCommand exited with code"
    " <n>' (or 'Command timed out after <s> seconds', 'Command aborted') and throws",
)

# ------------------------------------------------------------------------------------- profiles
_GENERIC = HarnessProfile(id="generic", formats=_ALL_FORMATS, source="no harness recognised")

_CLAUDE_CODE = HarnessProfile(
    id="claude-code",
    formats=frozenset({WireFormat.ANTHROPIC_MESSAGES}),
    recognition=Recognition(
        headers=(
            ("user-agent", "claude-cli/"),
            ("x-claude-code-session-id", ""),
            ("anthropic-beta", "claude-code-"),
        ),
        text_markers=(
            "x-anthropic-billing-header: cc_version=",
            "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
            "You are Claude Code, Anthropic's official CLI for Claude.",
        ),
        tool_sets=(frozenset({"Bash", "Read", "Edit", "Write", "Skill"}),),
    ),
    shell_tools=(
        ShellTool(
            "Bash",
            "command",
            exit_status=ExitStatus((_re(r"\AExit code (?P<code>-?\d+)(?:\n|\Z)"),), True),
        ),
    ),
    read_tools=(
        ReadTool(
            "Read",
            "file_path",
            Decoration(
                "every line of the file (split on '\\n', so a trailing newline yields a last"
                " empty line) as '{n}\\t{line}', n counting from offset or 1, unpadded",
                line_prefix=re.compile(r"(?P<n>\d+)\t"),
                line_format="{n}\t{line}",
            ),
        ),
    ),
    skill_tools=(
        SkillTool(
            "Skill",
            "skill",
            "sibling_text",
            Decoration(
                "tool_result content 'Launching skill: <name>'; the next text block of the same"
                " user message is 'Base directory for this skill: <dir>\\n\\n' + the body with"
                " frontmatter and leading blank lines removed (+ '\\n\\nARGUMENTS: <args>')",
                header=_re(r"Base directory for this skill: (?P<dir>[^\n]*)\n\n"),
                footer=_re(r"\n\nARGUMENTS: .*\Z|\Z"),
            ),
        ),
    ),
    injections=(
        SkillInjection(
            "/<name> [args] slash command: a text block '<command-message><name>"
            "</command-message>\\n<command-name>/<name></command-name>\\n<command-args><args>"
            "</command-args>\\n' followed by this block in the first user message",
            "user",
            Decoration(
                "'Base directory for this skill: <dir>\\n\\n' + body without frontmatter"
                " + '\\n\\nARGUMENTS: <args>'",
                header=_re(r"Base directory for this skill: (?P<dir>[^\n]*)\n\n"),
                footer=_re(r"\n\nARGUMENTS: .*\Z|\Z"),
            ),
            keeps_frontmatter=False,
        ),
    ),
    catalogs=(
        CatalogMarker(
            role="user",
            start="<system-reminder>\nThe following skills are available for use with the"
            " Skill tool:\n\n",
            end="</system-reminder>",
            entry=re.compile(r"^- (?P<name>[^:\n]+): (?P<description>[^\n]*)$", re.M),
        ),
    ),
    # Agent tool captured; read-only tools of one turn run concurrently.
    parallel_tool_calls=True,
    subagents=True,
    skill_dirs=(".claude/skills", "~/.claude/skills"),
    source="captured: @anthropic-ai/claude-code 2.1.197",
    tool_errors=ToolErrors(
        flagged=True,
        forms=(_re(r"\A<tool_use_error>"),),
        description="every failure has is_error: true; Bash: 'Exit code <n>\\n' + output, other"
        " tools a message ('File does not exist. ...') or '<tool_use_error>...</tool_use_error>'",
    ),
)

_CODEX = HarnessProfile(
    id="codex",
    formats=frozenset({WireFormat.RESPONSES}),
    recognition=Recognition(
        headers=(("originator", "codex"), ("user-agent", "codex_"), ("x-codex-window-id", "")),
        text_markers=(
            "You are a coding agent running in the Codex CLI",
            "You are Codex, a coding agent",
            "<skills_instructions>",
        ),
        tool_sets=(frozenset({"exec_command", "write_stdin", "request_user_input"}),),
    ),
    shell_tools=(
        _EXEC_COMMAND,
        ShellTool("shell_command", "command", "string", exit_status=_CODEX_SHELL_EXIT),
        ShellTool("shell", "command", "argv", exit_status=_CODEX_SHELL_EXIT),
    ),
    injections=(
        SkillInjection(
            "'$<name>' mention in the user prompt: an extra user message right after it",
            "user",
            Decoration(
                "'<skill>\\n<name>N</name>\\n<path>/abs/SKILL.md</path>\\n' + the whole file"
                " (frontmatter included) + '\\n</skill>'",
                header=_re(
                    r"<skill>\n<name>(?P<name>[^<\n]*)</name>\n<path>(?P<path>[^<\n]*)</path>\n"
                ),
                footer=_re(r"\n</skill>\Z"),
            ),
            keeps_frontmatter=True,
        ),
    ),
    catalogs=(
        CatalogMarker(
            role="developer",
            start="<skills_instructions>",
            end="</skills_instructions>",
            entry=_DASH_ENTRY_WITH_FILE,
            intro="## Skills\nA skill is a set of local instructions to follow that is stored in"
            " a `SKILL.md` file.",
            root=re.compile(r"^- `(?P<root>r\d+)` = `(?P<path>[^`\n]+)`$", re.M),
        ),
    ),
    # parallel_tool_calls: true in every captured body; multi_agent_v1 spawn_agent.
    parallel_tool_calls=True,
    subagents=True,
    skill_dirs=(".agents/skills", "~/.codex/skills", "~/.codex/skills/.system"),
    source="captured: @openai/codex 0.169.0 (exec); shell/shell_command from the binary's"
    " model presets, not captured",
    tool_errors=ToolErrors(
        forms=(
            _re(
                r"\A(?:exec_command failed|write_stdin failed|apply_patch verification failed"
                r"|failed to parse function arguments|unsupported call|execution error): "
            ),
            _re(r"\Asandbox denied exec error, exit code: "),
        ),
        description="function_call_output has no flag; exec_command states 'Process exited with"
        " code <n>' in its envelope, a call that could not run is '<what> failed: <why>'",
    ),
)

_PI_READ_OUTPUT = Decoration(
    "raw file text; when cut short a footer '\\n\\n[Showing lines a-b of N. Use offset=k to"
    " continue.]' (or '[... (50KB limit). ...]', '[N more lines in file. Use offset=k ...]')",
    footer=_re(
        r"\n\n\[(?:Showing lines \d+-\d+ of \d+(?: \([^)\n]*\))?|\d+ more lines in file)"
        r"\. Use offset=\d+ to continue\.\]\Z|\Z"
    ),
)

_PI = HarnessProfile(
    id="pi",
    formats=_ALL_FORMATS,
    recognition=Recognition(
        text_markers=("operating inside pi, a coding agent harness",),
        tool_sets=(frozenset({"read", "bash", "edit", "write"}),),
    ),
    shell_tools=(
        ShellTool(
            "bash",
            "command",
            "string",
            Decoration(
                "stdout+stderr as is; on failure '\\n\\nCommand exited with code <n>' is"
                " appended and the result flagged as an error",
                footer=_re(r"\n\nCommand exited with code -?\d+\Z|\Z"),
            ),
            ExitStatus((_re(r"\n\nCommand exited with code (?P<code>-?\d+)\Z"),), True),
        ),
    ),
    read_tools=(ReadTool("read", "path", _PI_READ_OUTPUT),),
    catalogs=(
        CatalogMarker(
            role="system",
            start="<available_skills>",
            end="</available_skills>",
            entry=_AVAILABLE_SKILLS_XML,
            intro="The following skills provide specialized instructions for specific tasks.\n"
            "Use the read tool to load a skill's file when the task matches its description.",
        ),
    ),
    # pi agent core executes a turn's calls in parallel unless toolExecution='sequential'.
    parallel_tool_calls=True,
    subagents=False,
    skill_dirs=(".pi/skills", ".agents/skills", "~/.pi/agent/skills", "~/.agents/skills"),
    source="captured: @mariozechner/pi-coding-agent 0.73.1 (openai-completions,"
    " anthropic-messages, openai-responses)",
    tool_errors=_PI_CORE_ERRORS,
)

_OPENCODE = HarnessProfile(
    id="opencode",
    formats=_ALL_FORMATS,
    recognition=Recognition(
        headers=(("user-agent", "opencode/"),),
        text_markers=("You are opencode,", "You are OpenCode,"),
        tool_sets=(frozenset({"bash", "read", "glob", "grep", "todowrite"}),),
    ),
    shell_tools=(ShellTool("bash", "command"),),  # the exit code stays in the tool's metadata
    read_tools=(
        ReadTool(
            "read",
            "filePath",
            Decoration(
                "'<path>P</path>\\n<type>file</type>\\n<content>\\n', lines as '{n}: {line}'"
                " (a trailing newline adds no line), then '\\n\\n(End of file - total N lines)"
                "\\n</content>' or a '(Showing lines a-b of N. Use offset=k to continue.)'"
                " footer",
                header=_re(r"<path>(?P<path>[^\n]*)</path>\n<type>file</type>\n<content>\n"),
                footer=_re(
                    r"\n\n\((?:End of file - total \d+ lines|Showing lines \d+-\d+ of \d+\."
                    r" Use offset=\d+ to continue\.|Output capped at [^\n]*? Showing lines"
                    r" \d+-\d+\. Use offset=\d+ to continue\.)\)\n</content>\Z"
                ),
                line_prefix=re.compile(r"(?P<n>\d+): "),
                line_format="{n}: {line}",
            ),
        ),
    ),
    skill_tools=(
        SkillTool(
            "skill",
            "name",
            "result",
            Decoration(
                "'<skill_content name=\"N\">\\n# Skill: N\\n\\n' + body without frontmatter"
                " (trimmed) + '\\n\\nBase directory for this skill: <dir>\\n...<skill_files>"
                "...</skill_files>\\n</skill_content>'",
                header=_re(r"<skill_content name=\"(?P<name>[^\"]*)\">\n# Skill: [^\n]*\n\n"),
                footer=_re(r"\n\nBase directory for this skill: [^\n]*\n.*</skill_content>\Z"),
            ),
        ),
    ),
    catalogs=(
        CatalogMarker(
            role="system",
            start="<available_skills>",
            end="</available_skills>",
            entry=_AVAILABLE_SKILLS_XML,
            intro="Skills provide specialized instructions and workflows for specific tasks.\n"
            "Use the skill tool to load a skill when a task matches its description.",
        ),
    ),
    # ai-sdk runs a step's tool calls concurrently; the task tool starts sub-agents.
    parallel_tool_calls=True,
    subagents=True,
    skill_dirs=(".opencode/skills", ".claude/skills", "~/.config/opencode/skills"),
    source="captured: opencode-ai 1.18.33 (@ai-sdk/openai-compatible, @ai-sdk/anthropic)",
    tool_errors=ToolErrors(
        forms=(
            _re(
                r"\A(?:[A-Z]\w*)?Error: "
            ),  # a thrown error's toString(): 'Error: File not found: p'
            _re(
                r"\n\n<bash_metadata>\n(?:bash tool terminated command after exceeding timeout"
                r"|User aborted the command)[^<]*</bash_metadata>\s*\Z"
            ),
            _re(r"\n\n\(Command (?:timed out after \d+ ms|was aborted)\)\Z"),
        ),
        description="a tool that throws becomes 'error-text' (is_error in Anthropic Messages):"
        " the error's toString(), 'Error: File not found: <path>'; bash output carries no exit"
        " code, only a '<bash_metadata>' footer when it timed out or was aborted",
    ),
)

_OPENAI_AGENTS = HarnessProfile(
    id="openai-agents",
    formats=frozenset({WireFormat.RESPONSES, WireFormat.CHAT_COMPLETIONS}),
    recognition=Recognition(
        headers=(("user-agent", "Agents/Python"),),
        text_markers=(
            "You are a general computer-use agent operating in a terminal-based assistant"
            " environment.",
        ),
        tool_sets=(frozenset({"exec_command", "write_stdin"}),),
    ),
    shell_tools=(_EXEC_COMMAND,),
    skill_tools=(
        SkillTool(
            "load_skill",
            "skill_name",
            "none",
            Decoration(
                "Python repr of a dict: \"{'status': 'loaded'|'already_loaded', 'skill_name':"
                " N, 'path': '.agents/N'}\"; the body is then read with exec_command"
            ),
        ),
    ),
    catalogs=(
        CatalogMarker(
            role="system",
            start="### Available skills\n",
            end="\n### ",
            entry=_DASH_ENTRY_WITH_FILE,
            intro="## Skills\nA skill is a set of local instructions to follow that is stored in"
            " a `SKILL.md` file.",
        ),
    ),
    # the Agents SDK gathers a turn's function tools concurrently.
    parallel_tool_calls=True,
    subagents=False,
    skill_dirs=(".agents",),
    source="captured: openai-agents 0.24.0 SandboxAgent + Skills capability"
    " (agents/sandbox/capabilities/skills.py)",
    tool_errors=ToolErrors(
        forms=(_re(r"\AAn error occurred while running the tool\. Please try again\. Error: "),),
        description="a function tool that raises returns the SDK's default_tool_error_function"
        " text; exec_command states its exit code in the Codex envelope",
    ),
)

_HERMES = HarnessProfile(
    id="hermes",
    formats=frozenset({WireFormat.CHAT_COMPLETIONS}),
    recognition=Recognition(
        headers=(("user-agent", "HermesAgent/"),),
        text_markers=(
            "You are Hermes Agent, an intelligent AI assistant created by Nous Research",
        ),
        tool_sets=(frozenset({"terminal", "read_file", "skill_view"}),),
    ),
    shell_tools=(
        ShellTool(
            "terminal",
            "command",
            exit_status=ExitStatus(
                (_re(r'\A\{\s*"output"\s*:.*"exit_code"\s*:\s*(?P<code>-?\d+)'),)
            ),
        ),
    ),
    read_tools=(
        ReadTool(
            "read_file",
            "path",
            Decoration(
                "JSON object whose 'content' field holds the lines as '{n}|{line}'",
                line_prefix=re.compile(r"(?P<n>\d+)\|"),
                line_format="{n}|{line}",
                json_field="content",
            ),
        ),
    ),
    skill_tools=(
        SkillTool(
            "skill_view",
            "name",
            "result",
            Decoration(
                "JSON object; the SKILL.md text is its 'content' field", json_field="content"
            ),
            keeps_frontmatter=True,
        ),
    ),
    catalogs=(
        CatalogMarker(
            role="system",
            start="<available_skills>\n",
            end="</available_skills>",
            entry=re.compile(r"^    - (?P<name>[^:\n]+)(?:: (?P<description>[^\n]*))?$", re.M),
            intro="## Skills (mandatory)\nBefore replying, scan the skills below.",
        ),
    ),
    # run_agent dispatches parallel-safe batches concurrently; delegate_task.
    parallel_tool_calls=True,
    subagents=True,
    skill_dirs=("~/.hermes/skills",),
    source="from source: hermes-agent 0.19.0 (agent/prompt_builder.py, tools/skills_tool.py,"
    " tools/file_tools.py); not captured",
    tool_errors=ToolErrors(
        forms=(_re(r'\A\{\s*"error"\s*:\s*"'),),
        description='tools answer JSON: a failure is tool_error()\'s {"error": "..."}, the'
        ' terminal\'s result carries "exit_code"',
    ),
)

_OPENCLAW = HarnessProfile(
    id="openclaw",
    formats=_ALL_FORMATS,
    recognition=Recognition(
        text_markers=("You are a personal assistant running inside OpenClaw.",),
        tool_sets=(frozenset({"read", "write", "edit", "exec", "process"}),),
    ),
    shell_tools=(ShellTool("exec", "command"),),
    read_tools=(ReadTool("read", "path", _PI_READ_OUTPUT),),
    catalogs=(
        CatalogMarker(
            role="system",
            start="<available_skills>",
            end="</available_skills>",
            entry=_AVAILABLE_SKILLS_XML,
            intro="## Skills (mandatory)\nBefore replying: scan <available_skills> <description>"
            " entries.",
        ),
    ),
    # pi agent core (parallel); sessions_spawn/subagents tools.
    parallel_tool_calls=True,
    subagents=True,
    skill_dirs=("skills", "~/.openclaw/skills"),
    source="from source: openclaw (pi agent core, src/agents/system-prompt.ts); not captured",
    # pi agent core's error results; whether every exec failure is flagged is not known.
    tool_errors=ToolErrors(forms=_PI_CORE_ERRORS.forms, description=_PI_CORE_ERRORS.description),
)

_BARE_AGENT = HarnessProfile(
    id="bare-agent",
    formats=frozenset({WireFormat.CHAT_COMPLETIONS, WireFormat.ANTHROPIC_MESSAGES}),
    recognition=Recognition(
        text_markers=(
            "You are a helpful assistant that completes tasks by using tools. Work in the"
            " provided directory.",
        ),
        tool_sets=(
            frozenset(
                {"read_file", "write_file", "execute_command", "list_directory", "web_fetch"}
            ),
        ),
    ),
    shell_tools=(
        ShellTool(
            "execute_command",
            "command",
            "string",
            Decoration(
                "'stdout:\\n<stdout>' then '\\nstderr:\\n<stderr>' when any, then"
                " '\\nexit code: <n>'",
                header=_re(r"stdout:\n"),
                footer=_re(
                    r"\n(?:stderr:\n.*?\n)?(?:\(output truncated[^\n]*\)\n)?exit code: -?\d+\Z"
                ),
            ),
            ExitStatus((_re(r"(?:\A|\n)exit code: (?P<code>-?\d+)\Z"),)),
        ),
    ),
    read_tools=(ReadTool("read_file", "path"),),
    injections=(
        SkillInjection(
            "inject mode: the skill is appended to the system prompt",
            "system",
            Decoration(
                "system prompt + '\\n\\n<skill>\\n' + whole SKILL.md + '\\n</skill>'",
                header=_re(r".*?\n\n<skill>\n"),
                footer=_re(r"\n</skill>\Z"),
            ),
            keeps_frontmatter=True,
        ),
    ),
    catalogs=(
        CatalogMarker(
            role="system",
            start="Available skills:\n",
            end=None,
            entry=re.compile(r"^- \*\*(?P<name>[^*\n]+)\*\*: (?P<description>[^\n]*)$", re.M),
            intro="## Available Skills",
        ),
    ),
    # SkVM agent-loop parallelToolExecution is enabled for bare-agent only.
    parallel_tool_calls=True,
    subagents=False,
    skill_dirs=("skills",),
    source="from source: SkVM src/adapters/bare-agent.ts, src/core/agent-tools.ts; not captured",
    tool_errors=ToolErrors(
        flagged=True,
        forms=(
            _re(r"\A(?:Error: |Unknown tool: )[^\n]*\Z"),
            _re(r"\AHTTP [45]\d\d\n"),  # web_fetch of an error status
        ),
        description="skvm_shim/bare_agent/tools.py: 'Error: <why>' (one line), 'Unknown tool: <n>',"
        " 'HTTP <status>' first for web_fetch; Anthropic results are flagged is_error when not ok",
    ),
)

_PROFILES: Mapping[str, HarnessProfile] = {
    p.id: p
    for p in (
        _GENERIC,
        _BARE_AGENT,
        _OPENCLAW,
        _HERMES,
        _CLAUDE_CODE,
        _CODEX,
        _PI,
        _OPENCODE,
        _OPENAI_AGENTS,
    )
}

# Matching order: the more specific harness first where rules overlap (opencode offers pi's four
# tools too; Codex and the Agents SDK sandbox share exec_command/write_stdin).
_ORDER: tuple[HarnessProfile, ...] = (
    _CLAUDE_CODE,
    _CODEX,
    _OPENCODE,
    _OPENAI_AGENTS,
    _HERMES,
    _OPENCLAW,
    _BARE_AGENT,
    _PI,
)


def profile(harness_id: str) -> HarnessProfile:
    """The profile of a harness id; raises ``KeyError`` for an id not in :data:`HARNESS_IDS`."""
    return _PROFILES[harness_id]


def profiles() -> tuple[HarnessProfile, ...]:
    """Every profile, in :data:`HARNESS_IDS` order."""
    return tuple(_PROFILES[h] for h in HARNESS_IDS)


# ------------------------------------------------------------------------------------ matching
_HEAD_CHARS = 400
"""How much of each system/developer text part recognition looks at."""
_HEAD_PARTS = 4
"""How many system/developer text parts (Anthropic blocks, leading messages) it looks at."""


def identify_harness(fmt: WireFormat, body: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The id of the harness that sent this request, or ``"generic"``.

    Runs on every call, so it reads only headers, tool names and the head of the first few
    system/developer text parts: headers first (most reliable), then text markers, then tool-name
    sets. Never raises on a malformed body.
    """
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    for p in _ORDER:
        for name, needle in p.recognition.headers:
            value = lowered.get(name)
            if value is not None and needle in value:
                return p.id
    heads = tuple(_system_heads(fmt, body))
    if heads:
        for p in _ORDER:
            for marker in p.recognition.text_markers:
                if any(marker in head for head in heads):
                    return p.id
    names = _tool_names(body.get("tools"))
    if names:
        for p in _ORDER:
            if any(required <= names for required in p.recognition.tool_sets):
                return p.id
    return "generic"


def _system_heads(fmt: WireFormat, body: Mapping[str, Any]) -> Iterator[str]:
    """The first characters of the leading system/developer text parts of a request."""
    if fmt is WireFormat.ANTHROPIC_MESSAGES:
        yield from _heads_of(body.get("system"))
        return
    if fmt is WireFormat.RESPONSES:
        instructions = body.get("instructions")
        if isinstance(instructions, str) and instructions:
            yield instructions[:_HEAD_CHARS]
        items = body.get("input")
    else:
        items = body.get("messages")
    if not isinstance(items, list):
        return
    count = 0
    for item in items[:_HEAD_PARTS]:
        if not isinstance(item, Mapping) or item.get("role") not in ("system", "developer"):
            break
        for head in _heads_of(item.get("content")):
            yield head
            count += 1
            if count >= _HEAD_PARTS:
                return


def _heads_of(content: Any) -> Iterator[str]:
    if isinstance(content, str):
        yield content[:_HEAD_CHARS]
    elif isinstance(content, list):
        for block in content[:_HEAD_PARTS]:
            text = block.get("text") if isinstance(block, Mapping) else None
            if isinstance(text, str):
                yield text[:_HEAD_CHARS]


def _tool_names(tools: Any) -> frozenset[str]:
    """Names of the offered tools, in any of the three formats (chat nests them in ``function``)."""
    if not isinstance(tools, list):
        return frozenset()
    return frozenset(_iter_tool_names(tools))


def _iter_tool_names(tools: Iterable[Any]) -> Iterator[str]:
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        name = tool.get("name")
        if name is None and isinstance(tool.get("function"), Mapping):
            name = tool["function"].get("name")
        if isinstance(name, str):
            yield name
