"""Who answers the model steps: the embedded local model, or the scripted upstream (a test double).

The scripted upstream plays a capable, consistent model: for each task it runs ``wc -l FILE`` and
then answers with the count, after a delay the demo chose. It is used when the local model is not
installed (said loudly), and in the second act as the announced stand-in teacher.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.console import Console

from skvm_shim.demo.tasks import Task
from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream

if TYPE_CHECKING:
    from skvm_shim.local_model import LocalModelServer

SCRIPTED_DELAY_MS = 250.0
"""How long each scripted answer waits: a delay chosen by the demo, not a measurement."""
STAND_IN_MODEL = "scripted-stand-in"


@dataclass(slots=True)
class Backend:
    kind: Literal["local-model", "scripted"]
    model: str
    base_url: str
    speaker: str
    """How the demo labels this backend's turns."""
    upstream: ScriptedUpstream | None = None
    started_s: float = 0.0
    delay_ms: float = SCRIPTED_DELAY_MS
    server: LocalModelServer | None = None

    def failure(self, error: Exception) -> str:
        """Why a model call failed, with the local server's exit report when it died."""
        report = self.server.exit_report("during the demo") if self.server is not None else None
        return report or f"a call to {self.model} at {self.base_url} failed: {error}"

    def prepare(self, task: Task) -> None:
        """Script the scripted upstream's answers for ``task`` (nothing for a real model)."""
        if self.upstream is None:
            return
        wc_output = f"exit code 0\n{task.lines} {task.file}"
        self.upstream.script(
            # The answer, once the harness sent the command's output (first: turns are tried in
            # order); then the command, for the task's first request. Repeating turns stay
            # queued, so a step the shim answers leaves nothing stale behind.
            Turn(
                text=f"{task.file} has {task.lines} lines.",
                match=wc_output,
                delay_ms=self.delay_ms,
                repeat=True,
            ),
            Turn(
                tool_calls=(
                    ToolCall(name="run_command", arguments={"command": f"wc -l {task.file}"}),
                ),
                match=task.text,
                delay_ms=self.delay_ms,
                repeat=True,
            ),
        )


def local_unavailable() -> str | None:
    """Why the local model cannot run in this interpreter, or None when it can."""
    from skvm_shim.local_model import LocalModelUnavailable, bundled_gguf, check_runtime

    try:
        check_runtime()
        bundled_gguf()
    except LocalModelUnavailable as exc:
        return str(exc)
    return None


@contextlib.contextmanager
def local_backend(console: Console) -> Iterator[Backend]:
    """The embedded local model on a free loopback port, with a spinner while it starts."""
    from skvm_shim.local_model import BUNDLED_MODEL_ID, serve

    start = time.perf_counter()
    with console.status(
        f"Starting the local model {BUNDLED_MODEL_ID} (llama.cpp, CPU) on 127.0.0.1: loading "
        "the weights, then one test token…"
    ):
        server = serve(port=0)
    with server:
        yield Backend(
            kind="local-model",
            model=server.model_id,
            base_url=server.base_url,
            speaker="SmolLM2",
            started_s=time.perf_counter() - start,
            server=server,
        )


@contextlib.contextmanager
def scripted_backend(
    model: str, speaker: str, *, delay_ms: float = SCRIPTED_DELAY_MS
) -> Iterator[Backend]:
    """The scripted upstream on a free loopback port, answering for ``model``."""
    with ScriptedUpstream() as upstream:
        yield Backend(
            kind="scripted",
            model=model,
            base_url=upstream.openai_base_url,
            speaker=speaker,
            upstream=upstream,
            delay_ms=delay_ms,
        )
