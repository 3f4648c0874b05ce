"""Why the local model server died, in words a user can act on.

A llama.cpp build compiled for another CPU (``-march=native`` on a machine with AVX-512 or AMX, or
a virtual machine that advertises instructions it cannot run) dies with SIGILL on its first
matrix product; before this module all a user saw was "the server exited". The report names the
signal or exit code, the likely cause and the fix.
"""

from __future__ import annotations

import signal

#: The command that rebuilds llama-cpp-python portable (no ``-march=native``). ``--no-cache-dir``
#: matters: pip caches the wheel it built from source and would reinstall the native one.
PORTABLE_REBUILD = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --force-reinstall --no-cache-dir --no-deps '
    "'llama-cpp-python[server]'"
)

_CAUSES: dict[str, str] = {
    "SIGILL": (
        "the llama.cpp build uses CPU instructions this machine cannot run (built with "
        "-march=native on another CPU, or a virtual machine that advertises AVX-512/AMX it does "
        f"not allow). Rebuild it portable: {PORTABLE_REBUILD}"
    ),
    "SIGKILL": (
        "it was killed from outside, most often by the kernel's out-of-memory killer "
        "(see `dmesg`); a smaller --n-ctx needs less memory"
    ),
    "SIGSEGV": "llama.cpp crashed; its last output above may say where",
    "SIGBUS": "llama.cpp crashed reading the model file (is it truncated or on a full disk?)",
    "SIGABRT": "llama.cpp aborted; its last output above usually says why",
}


def exit_name(returncode: int) -> str:
    """``signal SIGILL`` for a process killed by a signal (negative code), else ``code N``."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"code {returncode}"


def likely_cause(returncode: int) -> str | None:
    """What a death by this signal usually means here, with the fix; None when nothing is known."""
    if returncode >= 0:
        return None
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        return None
    return _CAUSES.get(name)


def describe_exit(returncode: int, log_tail: str, when: str) -> str:
    """One report: how the server ended (``when``: e.g. "before answering"), cause, last output."""
    lines = [f"the local model server exited with {exit_name(returncode)} {when}"]
    cause = likely_cause(returncode)
    if cause:
        lines[0] += "."
        lines.append(f"Likely cause: {cause}")
    lines.append("Its last output:" if log_tail else "It wrote nothing.")
    if log_tail:
        lines.append(log_tail)
    return "\n".join(lines)


__all__ = ["PORTABLE_REBUILD", "describe_exit", "exit_name", "likely_cause"]
