"""The patch handle: ``patch()`` builds a :class:`Shim` and wraps the SDKs; ``unpatch()`` undoes it.

Install and removal are symmetric (wrapt handles): each wrapper installed is recorded with its
handle and removed by it. SDK modules not imported yet are wrapped when they are imported. A
wrapper that outlives ``unpatch()`` (a bound method captured earlier) checks ``active`` and passes
straight through.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import wrapt
from opentelemetry.sdk.trace import TracerProvider

from skvm_shim import __version__
from skvm_shim.config import HARNESS_IDS, JitMode, Settings
from skvm_shim.pipeline import Pipeline, Replayer
from skvm_shim.records import ALL_TABLES, SKILLS
from skvm_shim.sdk import hooks
from skvm_shim.sdk.targets import TARGETS, Target
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry, load_skill_file
from skvm_shim.store import Store, StoreUnavailable
from skvm_shim.telemetry.provider import ScopeFilter, resolve_provider
from skvm_shim.telemetry.spans import make_tracer

log = logging.getLogger("skvm_shim")

_HANDLE: Shim | None = None
"""The one patch handle of the process (the only global state besides configuration)."""
_LOCK = threading.Lock()

SkillLike = str | Path | Skill


class Shim:
    """Everything one ``patch()`` set up: settings, skills, store, tracer, pipeline, wrappers."""

    def __init__(
        self,
        settings: Settings,
        *,
        skills: Iterable[SkillLike] = (),
        tracer_provider: TracerProvider | None = None,
        replayer: Replayer | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.harness = settings.harness
        self.active = False
        self._handles: list[tuple[type[Any], str, Any]] = []
        self.registry = SkillRegistry()
        self.store = store if store is not None else _open_store(settings)
        self._owns_store = store is None
        if self.store is not None:
            # Creating a table takes LMDB's write lock once; do it now, not on a request.
            with contextlib.suppress(StoreUnavailable):
                self.store.prepare(*ALL_TABLES)
        self.problems = self.registry.add_paths(settings.skills_path)
        self.add_skills(skills)
        self._load_traffic_skills()
        provider, self._owns_provider = resolve_provider(tracer_provider)
        self.tracer_provider = provider
        self.tracer = make_tracer(provider, __version__)
        self.span_filters: list[ScopeFilter] = []
        self.pipeline = Pipeline(
            registry=self.registry,
            store=self.store,
            tracer=self.tracer,
            harness=settings.harness,
            replayer=replayer,
        )

    def add_skills(self, skills: Iterable[SkillLike]) -> None:
        """Register skills given as folders, SKILL.md paths or parsed :class:`Skill` objects."""
        for item in skills:
            if isinstance(item, Skill):
                self.registry.add(item)
            else:
                path = Path(item)
                if path.is_dir() and not (path / "SKILL.md").is_file():
                    self.problems += self.registry.add_paths([path], source="patch")
                else:
                    self.registry.add(load_skill_file(path, source="patch"))

    def _load_traffic_skills(self) -> None:
        if self.store is None:
            return
        try:
            for _, skill in self.store.scan(SKILLS):
                self.registry.add(skill)
        except StoreUnavailable:
            pass

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
        if self.store is not None:
            try:
                self.store.flush(timeout=5)
            except Exception:
                log.debug("skvm-shim: store flush at unpatch failed", exc_info=True)

    @property
    def wrapped(self) -> list[str]:
        """``module.Class.method`` of every SDK method currently wrapped."""
        return [f"{c.__module__}.{c.__qualname__}.{m}" for c, m, _ in self._handles]


def _open_store(settings: Settings) -> Store | None:
    try:
        return Store.open(settings.store_path)
    except Exception as exc:
        log.warning(
            "skvm-shim: store at %s unavailable (%s); running without state",
            settings.store_path,
            exc,
        )
        return None


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
            if _HANDLE.store is not None and _HANDLE._owns_store:
                _HANDLE.store.close()
        _HANDLE = None


def current() -> Shim | None:
    """The active patch handle, if ``patch()`` was called and not undone."""
    return _HANDLE if _HANDLE is not None and _HANDLE.active else None
