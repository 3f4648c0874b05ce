"""Pass 2, extraction: what a skill needs installed, from code and install lines, with sources.

Sources: Python imports (ast) in SKILL.md code blocks, bundled ``.py`` files, inline code that
is Python (``import pandas as pd; ...``) and code handed to an interpreter (``python3 -c``, a
here-document, ``node -e``); commands (shlex) in shell blocks, bundled ``.sh`` files and inline
commands; install lines (``pip install``, ``npm install -g``, ``brew install``, ``apt-get
install``); shebang interpreters; the ``requires.bins`` / ``install`` entries of OpenClaw/ClawdBot
frontmatter metadata; a ``requirements.txt`` at the skill root or under ``scripts/``; Python
libraries an instruction tells the agent to use ("load it with pandas"). Import names map to
distributions (``yaml`` -> ``PyYAML``), and calls that need a second package add it
(``pd.read_excel`` -> openpyxl); standard-library modules, bundled modules and base POSIX tools
are not dependencies; Python code to run needs ``python3``, Node code ``node``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from compiler.codescan import (
    KNOWN_CLIS,
    STDLIB,
    embedded_code,
    inline_snippets,
    python_imports,
    shell_lines,
    words,
)
from compiler.markdown import Document
from compiler.scr_rules import instructed_libraries
from compiler.signals import PYTHON_LANGS, SHELL_LANGS
from compiler.skill import SKILL_FILE, SkillSource

DepKind = Literal["python", "binary", "npm"]

IMPORT_TO_DIST: dict[str, str] = {
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "cv2": "opencv-python",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "bs4": "beautifulsoup4",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "jwt": "PyJWT",
    "magic": "python-magic",
    "serial": "pyserial",
    "usb": "pyusb",
    "attr": "attrs",
    "jose": "python-jose",
    "multipart": "python-multipart",
    "pdfminer": "pdfminer.six",
    "google.protobuf": "protobuf",
    "win32api": "pywin32",
    "win32com": "pywin32",
    "Levenshtein": "python-Levenshtein",
    "slugify": "python-slugify",
    "telegram": "python-telegram-bot",
    "discord": "discord.py",
    "lxml": "lxml",
    "pypdf": "pypdf",
    "PyPDF2": "PyPDF2",
    "xlsxwriter": "XlsxWriter",
    "markdown": "Markdown",
    "git": "GitPython",
    "github": "PyGithub",
    "googleapiclient": "google-api-python-client",
    "openai": "openai",
    "anthropic": "anthropic",
}

# Calls that need a second package at run time: pandas reads and writes .xlsx through openpyxl
# and Parquet through pyarrow, though neither is imported by name.
IMPLIED_BY_CALL: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("pandas", re.compile(r"\.(?:read|to)_excel\("), "openpyxl"),
    ("pandas", re.compile(r"\.(?:read|to)_parquet\("), "pyarrow"),
)

# Always on a POSIX system (coreutils, shell builtins) or part of the harness itself.
BASE_COMMANDS = words(
    """
    ls cat grep egrep fgrep sed awk find mkdir rmdir cp mv rm ln head tail sort uniq wc cut tr
    tee xargs echo printf test chmod chown touch date sleep diff env which basename dirname true
    false kill ps pwd cd export source read set unset exit return mktemp stat du df id whoami
    uname hostname seq yes nl expr realpath readlink cmp comm paste join split od file bash sh
    zsh dash command type time timeout nohup sudo
    """
)

INTERPRETERS = {
    "python": "python3",
    "python3": "python3",
    "node": "node",
    "npm": "node",
    "npx": "node",
    "bun": "bun",
    "deno": "deno",
    "ruby": "ruby",
    "perl": "perl",
    "php": "php",
}

# Binary -> package names for apt, brew and dnf. Missing entries are installed by their own name.
BINARY_PACKAGES: dict[str, tuple[str, str, str]] = {
    "pdftotext": ("poppler-utils", "poppler", "poppler-utils"),
    "pdfinfo": ("poppler-utils", "poppler", "poppler-utils"),
    "pdftoppm": ("poppler-utils", "poppler", "poppler-utils"),
    "convert": ("imagemagick", "imagemagick", "ImageMagick"),
    "magick": ("imagemagick", "imagemagick", "ImageMagick"),
    "soffice": ("libreoffice", "libreoffice", "libreoffice"),
    "libreoffice": ("libreoffice", "libreoffice", "libreoffice"),
    "rg": ("ripgrep", "ripgrep", "ripgrep"),
    "fd": ("fd-find", "fd", "fd-find"),
    "node": ("nodejs", "node", "nodejs"),
    "npm": ("npm", "node", "npm"),
    "npx": ("npm", "node", "npm"),
    "python3": ("python3", "python", "python3"),
    "tesseract": ("tesseract-ocr", "tesseract", "tesseract"),
    "7z": ("p7zip-full", "p7zip", "p7zip"),
    "sqlite3": ("sqlite3", "sqlite", "sqlite"),
    "gh": ("gh", "gh", "gh"),
    "jq": ("jq", "jq", "jq"),
    "git": ("git", "git", "git"),
    "curl": ("curl", "curl", "curl"),
    "wget": ("wget", "wget", "wget"),
    "pandoc": ("pandoc", "pandoc", "pandoc"),
    "ffmpeg": ("ffmpeg", "ffmpeg", "ffmpeg"),
    "qpdf": ("qpdf", "qpdf", "qpdf"),
    "unzip": ("unzip", "unzip", "unzip"),
    "zip": ("zip", "zip", "zip"),
    "make": ("make", "make", "make"),
    "tar": ("tar", "gnu-tar", "tar"),
}
# Binaries that come from a language package manager rather than the system one.
BINARY_FROM_PIP: dict[str, str] = {"pytest": "pytest", "ruff": "ruff", "black": "black", "uv": "uv"}
BINARY_FROM_NPM: dict[str, str] = {"vercel": "vercel", "tsc": "typescript", "prettier": "prettier"}

_NODE_BUILTINS = words(
    """
    fs path os http https url util child_process crypto events stream zlib readline assert
    buffer process querystring net tls dns cluster worker_threads perf_hooks timers
    """
)
_INSTALLERS = frozenset(
    {"brew", "apt", "apt-get", "dnf", "yum", "pip", "pip3", "pipx", "sudo", "uvx"}
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_SAFE_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_INSTALL = re.compile(
    r"(?:^|\s|&&|;)(?P<tool>pip3?|python3? -m pip|uv pip|pipx|npm|pnpm|yarn|brew|apt-get|apt|"
    r"dnf|yum)"
    r"\s+(?:install|add|i)\s+(?P<args>[^;&|\n`]+)"
)
_OPTIONS_WITH_VALUES = frozenset(
    {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target", "-i"}
)
_NOT_A_PACKAGE = re.compile(r"[/\\]|\.(?:txt|toml|cfg|in|lock|json|whl|tar\.gz|zip)$|^\.+$")
_NODE_CODE = re.compile(r"\brequire\(|^\s*import\s.+\sfrom\s|\bprocess\.|\bfs\.\w+\(", re.M)
_JS_REQUIRE = re.compile(
    r"""require\(\s*['"](?P<a>[^'"./][^'"]*)['"]\s*\)|from\s+['"](?P<b>[^'"./][^'"]*)['"]"""
)


DepHow = Literal[
    "python-import",
    "shell-command",
    "inline-command",
    "install-line",
    "shebang",
    "frontmatter",
    "requirements",
    "js-import",
    "named-library",
]


class DepSource(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    line: int  # 1-based
    how: DepHow


class Dependency(BaseModel):
    """Something the skill needs on the machine. ``name`` is what is checked (an import name, a
    command, an npm package); ``package`` is what is installed."""

    model_config = ConfigDict(frozen=True)

    kind: DepKind
    name: str
    package: str
    system_packages: tuple[str, str, str] | None = None  # apt, brew, dnf (binaries only)
    sources: tuple[DepSource, ...] = ()
    guessed: bool = False  # distribution name guessed from the import name

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


class EnvManifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    dependencies: tuple[Dependency, ...] = ()
    interpreters: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()  # names that failed validation (never put in a script)

    def names(self, kind: DepKind | None = None) -> list[str]:
        return [d.name for d in self.dependencies if kind is None or d.kind == kind]


class _Collector:
    def __init__(self, skill: SkillSource) -> None:
        self.skill = skill
        self.local_modules = _local_python_modules(skill)
        self.found: dict[str, dict[str, Any]] = {}
        self.interpreters: dict[str, None] = {}
        self.dropped: dict[str, None] = {}

    def add(self, kind: DepKind, name: str, source: DepSource, **extra: Any) -> None:
        pattern = _SAFE_MODULE if kind == "python" else _SAFE_NAME
        package = extra.get("package", name)
        if not pattern.match(name) or not _SAFE_NAME.match(package.split("[")[0]):
            self.dropped[name] = None
            return
        key = f"{kind}:{name}"
        entry = self.found.setdefault(key, {"kind": kind, "name": name, "sources": {}, **extra})
        entry["sources"].setdefault((source.file, source.line, source.how), source)

    def python_module(self, module: str, source: DepSource) -> None:
        top = module.split(".", maxsplit=1)[0]
        if top in STDLIB or top in self.local_modules:
            return
        dist = IMPORT_TO_DIST.get(module) or IMPORT_TO_DIST.get(top)
        self.add("python", top, source, package=dist or top, guessed=dist is None)
        self.command("python3", source)

    def python_code(self, code: str, file: str, offset: int, how: DepHow) -> None:
        """Python to be run: its imports, the packages its calls imply, and python3 itself."""
        imports = python_imports(code)
        for imp in imports:
            self.python_module(imp.full, DepSource(file=file, line=offset + imp.line + 1, how=how))
        tops = {imp.module for imp in imports}
        for module, call, needed in IMPLIED_BY_CALL:
            if module in tops and call.search(code):
                self.python_module(needed, DepSource(file=file, line=offset + 1, how=how))
        if code.strip():
            self.command("python3", DepSource(file=file, line=offset + 1, how=how))

    def command(self, word: str, source: DepSource) -> None:
        if word in ("bash", "sh", "zsh"):
            self.interpreters.setdefault(word)
            return
        if (
            word.startswith("./")
            or "/" in word
            or word in BASE_COMMANDS
            or word in _INSTALLERS
            or not word[:1].isalpha()
            or PurePosixPath(word).suffix in (".sh", ".py", ".js", ".ts", ".rb", ".pl")
        ):
            return
        if word in INTERPRETERS:
            interpreter = INTERPRETERS[word]
            self.interpreters.setdefault(interpreter)
            self.add(
                "binary",
                interpreter,
                source,
                package=interpreter,
                system_packages=BINARY_PACKAGES.get(interpreter),
            )
            return
        if word in BINARY_FROM_PIP:
            self.add("binary", word, source, package=BINARY_FROM_PIP[word], via="pip")
            return
        if word in BINARY_FROM_NPM:
            self.add("binary", word, source, package=BINARY_FROM_NPM[word], via="npm")
            return
        self.add("binary", word, source, package=word, system_packages=BINARY_PACKAGES.get(word))

    def install_line(self, text: str, file: str, line: int) -> None:
        for m in _INSTALL.finditer(text):
            tool = m["tool"]
            src = DepSource(file=file, line=line, how="install-line")
            skip_value = False
            for arg in m["args"].split():
                if skip_value:
                    skip_value = False
                    continue
                if arg in _OPTIONS_WITH_VALUES:
                    skip_value = True  # ``-r requirements.txt``: a file, not a package
                    continue
                if arg.startswith("-") or arg in ("install", "--") or _NOT_A_PACKAGE.search(arg):
                    continue
                name = re.split(r"[<>=!~\[;]", arg.strip("'\""), maxsplit=1)[0]
                if not name:
                    continue
                if tool in ("npm", "pnpm", "yarn"):
                    self.add("npm", name, src, package=name)
                    self.interpreters.setdefault("node")
                elif tool in ("brew", "apt-get", "apt", "dnf", "yum"):
                    self.add("binary", name, src, package=name, system_packages=(name, name, name))
                else:
                    module = next(
                        (k for k, v in IMPORT_TO_DIST.items() if v.lower() == name.lower()), None
                    )
                    self.add(
                        "python", module or name.replace("-", "_"), src, package=name, guessed=False
                    )
                    self.command("python3", src)

    def manifest(self) -> EnvManifest:
        deps = []
        for entry in self.found.values():
            sources = tuple(entry.pop("sources").values())  # first seen first
            entry.pop("via", None)
            deps.append(Dependency(sources=sources, **entry))
        order = {"binary": 0, "python": 1, "npm": 2}
        deps.sort(key=lambda d: (order[d.kind], d.name.lower()))
        return EnvManifest(
            dependencies=tuple(deps),
            interpreters=tuple(sorted(self.interpreters)),
            dropped=tuple(sorted(self.dropped)),
        )


def _local_python_modules(skill: SkillSource) -> set[str]:
    out: set[str] = set()
    for path in skill.bundle_paths:
        p = PurePosixPath(path)
        if p.suffix == ".py":
            out.add(p.stem)
            out.update(p.parts[:-1])
    return out


def extract_dependencies(skill: SkillSource) -> EnvManifest:
    c = _Collector(skill)
    _scan_markdown(c, skill.document, SKILL_FILE)
    _scan_frontmatter(c, skill.frontmatter)
    for f in skill.bundle:
        text = f.text
        if text is None:
            continue
        suffix = PurePosixPath(f.path).suffix
        _shebang(c, text, f.path)
        if suffix == ".py":
            c.python_code(text, f.path, 0, "python-import")
        elif suffix in (".sh", ".bash"):
            _scan_shell(c, text, f.path, 0)
        elif suffix in (".js", ".mjs", ".cjs", ".ts"):
            _scan_js(c, text, f.path)
        elif PurePosixPath(f.path).name == "requirements.txt" and _is_own_requirements(f.path):
            _scan_requirements(c, text, f.path)
    return c.manifest()


def _is_own_requirements(path: str) -> bool:
    parent = PurePosixPath(path).parent.as_posix()
    return parent in (".", "scripts")


def _scan_markdown(c: _Collector, doc: Document, file: str) -> None:
    for fence in doc.fences:
        offset = fence.start + 1
        if fence.lang in PYTHON_LANGS:
            c.python_code(fence.body, file, offset, "python-import")
        elif fence.lang in SHELL_LANGS or (not fence.lang and _looks_like_shell(fence.body)):
            _scan_shell(c, fence.body, file, offset)
        elif fence.lang in ("javascript", "js", "typescript", "ts", "node", "mjs"):
            _scan_js(c, fence.body, file, offset)
    for snippet in inline_snippets(doc):
        if snippet.kind == "python":
            c.python_code(snippet.code, file, snippet.line, "inline-command")
        else:
            _scan_shell(c, snippet.code, file, snippet.line, how="inline-command")
    _scan_named_libraries(c, doc, file)


def _looks_like_shell(body: str) -> bool:
    lines = [ln.strip() for ln in body.split("\n") if ln.strip() and not ln.strip().startswith("#")]
    if not lines:
        return False
    known = sum(1 for ln in lines if ln.startswith("$ ") or ln.split()[0] in KNOWN_CLIS)
    return known * 2 >= len(lines)


def _scan_shell(
    c: _Collector, text: str, file: str, offset: int, how: DepHow = "shell-command"
) -> None:
    for sl in shell_lines(text):
        src = DepSource(file=file, line=offset + sl.line + 1, how=how)
        for cmd in sl.commands:
            c.command(cmd.word, src)
            if cmd.word in ("python", "python3") and len(cmd.argv) >= 3 and cmd.argv[1] == "-m":
                module = cmd.argv[2]
                if module not in ("pip", "venv", "json.tool", "http.server"):
                    c.python_module(module, src)
        for lang, code in embedded_code(sl):
            if lang == "python":
                c.python_code(code, file, offset + sl.line, how)
            else:
                _scan_js(c, code, file, offset + sl.line)
        c.install_line(sl.text, file, offset + sl.line + 1)


def _scan_named_libraries(c: _Collector, doc: Document, file: str) -> None:
    """Python libraries prose tells the agent to use ("load it with pandas"), never ones it
    names to avoid ("don't use pandas")."""
    for line, lib in instructed_libraries(doc):
        if lib.ecosystem == "pip" and lib.primitive == "gen.code.python":
            src = DepSource(file=file, line=line + 1, how="named-library")
            c.python_module(lib.name, src)


def _scan_js(c: _Collector, text: str, file: str, offset: int = 0) -> None:
    if _NODE_CODE.search(text):
        c.command("node", DepSource(file=file, line=offset + 1, how="js-import"))
    for n, line in enumerate(text.split("\n")):
        for m in _JS_REQUIRE.finditer(line):
            name = m["a"] or m["b"] or ""
            pkg = "/".join(name.split("/")[:2]) if name.startswith("@") else name.split("/")[0]
            if pkg.removeprefix("node:") in _NODE_BUILTINS or pkg.startswith("node:"):
                continue
            src = DepSource(file=file, line=offset + n + 1, how="js-import")
            c.add("npm", pkg, src, package=pkg)
            c.command("node", src)


def _shebang(c: _Collector, text: str, file: str) -> None:
    if not text.startswith("#!"):
        return
    parts = text.split("\n", 1)[0][2:].split()
    if not parts:
        return
    word = (
        parts[1]
        if PurePosixPath(parts[0]).name == "env" and len(parts) > 1
        else PurePosixPath(parts[0]).name
    )
    if word in INTERPRETERS or word in ("bash", "sh", "zsh"):
        c.interpreters.setdefault(INTERPRETERS.get(word, word))


def _scan_requirements(c: _Collector, text: str, file: str) -> None:
    for n, line in enumerate(text.split("\n")):
        spec = line.split("#", 1)[0].strip()
        if not spec or spec.startswith("-"):
            continue
        name = re.split(r"[<>=!~\[;\s]", spec, maxsplit=1)[0]
        module = next((k for k, v in IMPORT_TO_DIST.items() if v.lower() == name.lower()), None)
        src = DepSource(file=file, line=n + 1, how="requirements")
        c.add("python", module or name.replace("-", "_"), src, package=name)
        c.command("python3", src)


def _scan_frontmatter(c: _Collector, front: dict[str, Any]) -> None:
    metadata = front.get("metadata")
    if not isinstance(metadata, dict):
        return
    src = DepSource(file=SKILL_FILE, line=1, how="frontmatter")
    for block in metadata.values():
        if not isinstance(block, dict):
            continue
        requires = block.get("requires")
        bins = requires.get("bins") if isinstance(requires, dict) else None
        formulas: dict[str, str] = {}
        for spec in block.get("install") or []:
            if (
                isinstance(spec, dict)
                and spec.get("kind") == "brew"
                and isinstance(spec.get("formula"), str)
            ):
                for b in spec.get("bins") or []:
                    formulas[str(b)] = spec["formula"]
            if (
                isinstance(spec, dict)
                and spec.get("kind") in ("node", "npm")
                and isinstance(spec.get("package"), str)
            ):
                c.add("npm", spec["package"], src, package=spec["package"])
        for b in bins or []:
            name = str(b)
            if name in formulas:
                c.add(
                    "binary", name, src, package=name, system_packages=(name, formulas[name], name)
                )
            else:
                c.command(name, src)


def iter_dependency_lines(manifest: EnvManifest) -> Iterator[str]:
    for d in manifest.dependencies:
        where = ", ".join(f"{s.file}:{s.line}" for s in d.sources[:3])
        yield f"{d.kind} {d.name} ({d.package}) from {where}"
