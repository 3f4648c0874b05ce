"""Pass 2, output: an idempotent ``env-setup.sh`` and the environment note served with a variant.

The script is written, never executed by the compiler. It checks before installing, never
upgrades or refreshes package indexes, keeps going after a failure and exits 1 when anything is
still missing. Every interpolated name has passed ``compiler.deps`` validation and is
``shlex``-quoted as well.

The note is rendered when a variant is served, from a presence check on the serving machine
(``PresenceCache``, probe injectable), so stored variants do not depend on what the compile host
had installed.
"""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import time
from collections.abc import Callable, Mapping

from compiler.deps import Dependency, EnvManifest

Probe = Callable[[Dependency], bool | None]
"""Is a dependency present here? ``None`` when the probe cannot tell."""


def local_probe(dep: Dependency) -> bool | None:
    """Presence on this machine: importable module (this interpreter) or command on PATH."""
    if dep.kind == "python":
        try:
            return importlib.util.find_spec(dep.name) is not None
        except (ImportError, ValueError):
            return False
    if dep.kind == "binary":
        return shutil.which(dep.name) is not None
    return None  # npm packages: telling needs running npm; the script checks instead


class PresenceCache:
    """Memoised presence checks (per dependency key) with a time-to-live.

    The serving runtime keeps one per process; the clock is injectable for tests.
    """

    def __init__(
        self,
        probe: Probe = local_probe,
        *,
        ttl_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._ttl = ttl_seconds
        self._clock = clock
        self._seen: dict[str, tuple[float, bool | None]] = {}

    def check(self, manifest: EnvManifest) -> dict[str, bool | None]:
        now = self._clock()
        out: dict[str, bool | None] = {}
        for dep in manifest.dependencies:
            cached = self._seen.get(dep.key)
            if cached is None or now - cached[0] > self._ttl:
                cached = (now, self._probe(dep))
                self._seen[dep.key] = cached
            out[dep.key] = cached[1]
        return out


def render_env_note(
    manifest: EnvManifest,
    presence: Mapping[str, bool | None],
    *,
    script_path: str | None = None,
    max_items: int = 12,
) -> str:
    """One or two lines telling the model what is installed, so it does not spend turns finding "
    "out."""
    if not manifest.dependencies:
        return ""

    def label(d: Dependency) -> str:
        return d.package if d.kind == "python" else d.name

    present = [label(d) for d in manifest.dependencies if presence.get(d.key) is True]
    missing = [label(d) for d in manifest.dependencies if presence.get(d.key) is False]
    unknown = [label(d) for d in manifest.dependencies if presence.get(d.key) is None]

    def show(names: list[str]) -> str:
        extra = len(names) - max_items
        return ", ".join(names[:max_items]) + (f" and {extra} more" if extra > 0 else "")

    parts = []
    if present:
        parts.append(f"present: {show(present)}")
    if missing:
        fix = f" (run `bash {shlex.quote(script_path)}` to install them)" if script_path else ""
        parts.append(f"missing: {show(missing)}{fix}")
    if unknown:
        parts.append(f"not checked: {show(unknown)}")
    note = "Environment on this machine: " + "; ".join(parts) + "."
    if present and not missing:
        note += " No installation needed."
    return note


_HEADER = """\
#!/usr/bin/env bash
# env-setup.sh for the skill {name} — written by the skvm-shim compiler {version}.
# Idempotent: checks before installing, never upgrades, keeps going after a failure.
# Exit status 0 when everything is present afterwards, 1 otherwise.
set -u

PYTHON="${{PYTHON:-python3}}"
FAIL=0
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi

log() {{ printf '[env-setup] %s\\n' "$*"; }}
warn() {{ printf '[env-setup] WARN: %s\\n' "$*" >&2; FAIL=$((FAIL + 1)); }}
have() {{ command -v "$1" >/dev/null 2>&1; }}
py_has() {{ "$PYTHON" -c "import $1" >/dev/null 2>&1; }}
pip_install() {{ "$PYTHON" -m pip install --disable-pip-version-check --quiet "$1"; }}
npm_has() {{ have npm && npm ls -g --depth=0 "$1" >/dev/null 2>&1; }}
sys_install() {{  # apt package, brew package, dnf/yum package
  if have apt-get; then $SUDO apt-get install -y --no-install-recommends "$1"
  elif have brew; then brew install "$2"
  elif have dnf; then $SUDO dnf install -y "$3"
  elif have yum; then $SUDO yum install -y "$3"
  else return 1
  fi
}}
"""

_FOOTER = """\

if [ "$FAIL" -gt 0 ]; then
  log "$FAIL dependency problem(s); see the warnings above"
  exit 1
fi
log "all dependencies present"
exit 0
"""


def _q(value: str) -> str:
    return shlex.quote(value)


def _binary_block(dep: Dependency) -> str:
    name = _q(dep.name)
    if dep.system_packages is not None:
        apt, brew, dnf = (_q(p) for p in dep.system_packages)
        install = (
            f"  log {_q('installing ' + dep.name)}\n"
            f"  sys_install {apt} {brew} {dnf} || warn {_q('could not install ' + dep.name)}"
        )
    elif dep.package != dep.name and dep.sources and dep.sources[0].how != "frontmatter":
        install = (
            f"  log {_q('installing ' + dep.package)}\n"
            f"  pip_install {_q(dep.package)} || warn {_q('could not install ' + dep.package)}"
        )
    else:
        install = (
            f"  warn {_q(dep.name + ' is missing and has no known package; install it by hand')}"
        )
    return f"if have {name}; then\n  log {_q('present: ' + dep.name)}\nelse\n{install}\nfi\n"


def _python_block(dep: Dependency) -> str:
    return (
        f"if py_has {_q(dep.name)}; then\n  log {_q('present: ' + dep.name)}\nelse\n"
        f"  log {_q('installing ' + dep.package)}\n"
        f"  pip_install {_q(dep.package)} || warn {_q('could not install ' + dep.package)}\n"
        "fi\n"
    )


def _npm_block(dep: Dependency) -> str:
    return (
        f"if npm_has {_q(dep.name)}; then\n  log {_q('present: ' + dep.name)}\n"
        "elif have npm; then\n"
        f"  log {_q('installing ' + dep.package)}\n"
        f"  npm install -g {_q(dep.package)} || warn {_q('could not install ' + dep.package)}\n"
        f"else\n  warn {_q('npm is missing, cannot install ' + dep.package)}\nfi\n"
    )


def render_env_setup(manifest: EnvManifest, *, skill_name: str, version: str) -> str:
    """The script text (a no-op that exits 0 when there is nothing to check)."""
    out = [_HEADER.format(name=_q(skill_name), version=version)]
    if not manifest.dependencies:
        out.append('\nlog "no dependencies to check"\nexit 0\n')
        return "".join(out)
    for title, kind, block in (
        ("Commands", "binary", _binary_block),
        ("Python packages", "python", _python_block),
        ("npm packages", "npm", _npm_block),
    ):
        deps = [d for d in manifest.dependencies if d.kind == kind]
        if not deps:
            continue
        out.append(f"\n# {title}\n")
        for dep in deps:
            where = ", ".join(list(dict.fromkeys(f"{s.file}:{s.line}" for s in dep.sources))[:3])
            out.append(f"# {dep.name}: {where}\n" + block(dep))
    out.append(_FOOTER)
    return "".join(out)
