"""The runtime both modes share: settings, skills, store, tracer and the pipeline built on them.

``patch()`` wraps one around the SDKs; ``skvm-shim proxy`` serves one over HTTP. Nothing in here
knows which transport feeds it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider

from skvm_shim import __version__
from skvm_shim.compilation.attach import attach_compilation
from skvm_shim.config import Settings
from skvm_shim.pipeline import Pipeline, Replayer
from skvm_shim.records import ALL_TABLES, SKILLS
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry, load_skill_file
from skvm_shim.store import Store, StoreUnavailable
from skvm_shim.telemetry.provider import resolve_provider
from skvm_shim.telemetry.spans import make_tracer

log = logging.getLogger("skvm_shim")

SkillLike = str | Path | Skill


class Runtime:
    """Everything a call needs besides its transport."""

    def __init__(
        self,
        settings: Settings,
        *,
        skills: Iterable[SkillLike] = (),
        tracer_provider: TracerProvider | None = None,
        otlp_endpoint: str | None = None,
        replayer: Replayer | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.harness = settings.harness
        self.registry = SkillRegistry()
        self.store = store if store is not None else open_store(settings)
        self._owns_store = store is None
        if self.store is not None:
            # Creating a table takes LMDB's write lock once; do it now, not on a request.
            with contextlib.suppress(StoreUnavailable):
                self.store.prepare(*ALL_TABLES)
        self.problems = self.registry.add_paths(settings.skills_path)
        self.add_skills(skills)
        self._load_traffic_skills()
        provider, self.owns_provider = resolve_provider(
            tracer_provider, otlp_endpoint=otlp_endpoint
        )
        self.tracer_provider = provider
        self.tracer = make_tracer(provider, __version__)
        if replayer is None and settings.jit != "off" and self.store is not None:
            replayer = default_replayer(settings, self.store, self.registry)
        self.replayer = replayer
        self.pipeline = Pipeline(
            registry=self.registry,
            store=self.store,
            tracer=self.tracer,
            harness=settings.harness,
            replayer=replayer,
        )
        self.compile_worker = attach_compilation(self)

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

    def close(self) -> None:
        """End open session spans, flush queued state, release the store and an owned provider."""
        with contextlib.suppress(Exception):
            self.pipeline.close()  # before the provider shuts down, so the roots are exported
        if self.compile_worker is not None:
            self.compile_worker.stop()
        flush = getattr(self.replayer, "flush", None)
        if callable(flush):
            with contextlib.suppress(Exception):
                flush(5.0)  # the replayer's queued state writes go before the store closes
        if self.store is not None:
            try:
                self.store.flush(timeout=5)
            except Exception:
                log.debug("skvm-shim: store flush failed", exc_info=True)
            if self._owns_store:
                self.store.close()
        if self.owns_provider:
            with contextlib.suppress(Exception):
                self.tracer_provider.shutdown()


def default_replayer(settings: Settings, store: Store, registry: SkillRegistry) -> Replayer | None:
    """JIT solidification (``SKVM_JIT`` shadow or on) over ``store``; None if it cannot start."""
    try:
        from skvm_shim.jit import JitConfig, JitReplayer

        return JitReplayer(
            store, mode=settings.jit, config=JitConfig.from_env(), skills=registry.get
        )
    except Exception as exc:
        log.warning("skvm-shim: JIT solidification disabled (%s)", exc)
        return None


def open_store(settings: Settings) -> Store | None:
    """The store under ``settings.home``, or None (and a warning) when it cannot be opened."""
    try:
        return Store.open(settings.store_path)
    except Exception as exc:
        log.warning(
            "skvm-shim: store at %s unavailable (%s); running without state",
            settings.store_path,
            exc,
        )
        return None
