"""The patch handle: ``patch()`` builds a :class:`Shim` and wraps the SDKs; ``unpatch()`` undoes it.

Install and removal are symmetric (wrapt handles): each wrapper installed is recorded with its
handle and removed by it. SDK modules not imported yet are wrapped when they are imported. A
wrapper that outlives ``unpatch()`` (a bound method captured earlier) checks ``active`` and passes
straight through.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import wrapt
from opentelemetry.sdk.trace import TracerProvider

from adapters.harnesses import HARNESS_IDS
from skvm_shim.config import JitMode, Settings
from skvm_shim.pipeline import Replayer
from skvm_shim.runtime import Runtime, SkillLike
from skvm_shim.sdk import hooks
from skvm_shim.sdk.targets import TARGETS, Target
from skvm_shim.store import Store

log = logging.getLogger("skvm_shim")

_HANDLE: Shim | None = None
"""The one patch handle of the process (the only global state besides configuration)."""
_LOCK = threading.Lock()


class Shim(Runtime):
    """The patch handle: a :class:`Runtime` plus the SDK wrappers it installed."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.active = False
        self._handles: list[tuple[type[Any], str, Any]] = []

    # -- install / remove -------------------------------------------------------------------------

    def install(self) -> None:
        self.active = True
        for module_name in sorted({t.module for t in TARGETS}):
            targets = [t for t in TARGETS if t.module == module_name]
            if module_name in sys.modules:
                self._wrap_module(sys.modules[module_name], targets)
            else:
                wrapt.register_post_import_hook(self._deferred(targets), module_name)

    def _deferred(self, targets: list[Target]) -> Any:
        def hook(module: ModuleType) -> None:
            if self.active:
                self._wrap_module(module, targets)

        return hook

    def _wrap_module(self, module: ModuleType, targets: list[Target]) -> None:
        for target in targets:
            cls = getattr(module, target.cls, None)
            if not isinstance(cls, type) or target.method not in vars(cls):
                log.debug("skvm-shim: %s.%s.%s not found", target.module, target.cls, target.method)
                continue
            if any(c is cls and m == target.method for c, m, _ in self._handles):
                continue
            wrapper = getattr(hooks, target.kind)(self)
            handle = wrapt.wrap_function_wrapper(cls, target.method, wrapper)
            self._handles.append((cls, target.method, handle))

    def uninstall(self) -> None:
        self.active = False
        for cls, method, handle in reversed(self._handles):
            try:
                wrapt.unwrap_object(cls, method, handle, missing_ok=True)
            except Exception:
                log.warning("skvm-shim: could not unwrap %s.%s", cls.__qualname__, method)
        self._handles.clear()

    @property
    def wrapped(self) -> list[str]:
        """``module.Class.method`` of every SDK method currently wrapped."""
        return [f"{c.__module__}.{c.__qualname__}.{m}" for c, m, _ in self._handles]


def patch(
    *,
    skills: Iterable[SkillLike] = (),
    harness: str | None = None,
    home: str | Path | None = None,
    jit: JitMode | None = None,
    tracer_provider: TracerProvider | None = None,
    replayer: Replayer | None = None,
    store: Store | None = None,
) -> Shim:
    """Wrap the ``openai`` and ``anthropic`` clients of this process; returns the patch handle.

    Call it once at harness start-up (before or after importing the SDKs). Calling it again
    returns the same handle, adding any new ``skills``. ``harness`` names the harness (one of
    ``HARNESS_IDS``) when it cannot be recognised from its requests. ``SKVM_DISABLE=1`` turns the
    whole shim off without a code change.
    """
    global _HANDLE
    with _LOCK:
        if _HANDLE is not None and _HANDLE.active:
            _HANDLE.add_skills(skills)
            return _HANDLE
        settings = Settings.from_env()
        updates: dict[str, Any] = {}
        if harness is not None:
            if harness not in HARNESS_IDS:
                raise ValueError(f"harness {harness!r} is not one of {', '.join(HARNESS_IDS)}")
            updates["harness"] = harness
        if home is not None:
            updates["home"] = Path(home).expanduser()
        if jit is not None:
            updates["jit"] = jit
        if updates:
            settings = settings.model_copy(update=updates)
        shim = Shim(
            settings, skills=skills, tracer_provider=tracer_provider, replayer=replayer, store=store
        )
        if not settings.disabled:
            shim.install()
        _HANDLE = shim
        return shim


def unpatch() -> None:
    """Remove every wrapper ``patch()`` installed; the SDKs behave as if never patched."""
    global _HANDLE
    with _LOCK:
        if _HANDLE is not None:
            _HANDLE.uninstall()
            _HANDLE.close()
        _HANDLE = None


def current() -> Shim | None:
    """The active patch handle, if ``patch()`` was called and not undone."""
    return _HANDLE if _HANDLE is not None and _HANDLE.active else None
