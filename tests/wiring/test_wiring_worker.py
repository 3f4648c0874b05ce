"""The background compile worker: bounded, deduplicated, fault-proof, recorded as events."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from compiler import TCP
from skvm_shim.compilation import CompileWorker, compile_and_publish
from skvm_shim.compilation.publish import CompileJob, CompileOutcome
from skvm_shim.compilation.worker import EVENT_UNDER
from skvm_shim.profiles_store import ProfileStore
from skvm_shim.records import (
    EVENTS,
    ORIGINAL,
    VARIANT_SETS,
    VARIANTS,
    CompileRequest,
    VariantSet,
)
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry, load_skill_file
from skvm_shim.store import Store, join_key, key_prefix
from tests.wiring.helpers import REGION_DIGEST, WEAK_LEVELS, profile_dict

SKILL = load_skill_file(REGION_DIGEST)


def _request(skill: Skill = SKILL, model: str = "small-9b", harness: str = "bare-agent") -> Any:
    return CompileRequest(
        skill_hash=skill.hash, skill_name=skill.name, model=model, harness=harness
    )


def _events(store: Store) -> list[dict[str, Any]]:
    return [e.data for _, e in store.scan(EVENTS, key_prefix(EVENT_UNDER))]


class Recording:
    """A compile function that records its jobs and can be held or made to fail."""

    def __init__(self, *, fail: bool = False) -> None:
        self.jobs: list[CompileJob] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.fail = fail

    def __call__(self, job: CompileJob, **kwargs: Any) -> CompileOutcome:
        self.started.set()
        self.jobs.append(job)
        assert self.gate.wait(10)
        if self.fail:
            raise RuntimeError("compiler exploded")
        return compile_and_publish(job, **kwargs)


def _import_profiles(store: Store, *models: str) -> None:
    for model in models:
        ProfileStore(store).import_tcp(
            TCP.model_validate(profile_dict(WEAK_LEVELS, model=model)), source="test"
        )


@pytest.fixture
def worker_parts(store: Store, home: Path) -> tuple[Store, SkillRegistry, Path]:
    """A worker's store, with profiles for the models the queue tests use."""
    _import_profiles(store, "a", "b", "c")
    return store, SkillRegistry([SKILL]), home / "variants"


def _worker(parts: tuple[Store, SkillRegistry, Path], fn: Any, **kw: Any) -> CompileWorker:
    store, registry, variants = parts
    return CompileWorker(
        store=store, registry=registry, variants_dir=variants, compile_fn=fn, **kw
    ).start()


def test_without_a_profile_nothing_is_compiled_until_one_is_imported(worker_parts: Any) -> None:
    store = worker_parts[0]
    fn = Recording()
    worker = _worker(worker_parts, fn)
    key = join_key(SKILL.hash, "small-9b", "bare-agent")
    try:
        assert worker.submit(_request(model="small-9b"))
        assert worker.drain(30)
        assert fn.jobs == []  # nothing to compile against
        assert store.get(VARIANT_SETS, key) is None  # still unknown: asked again later
        _import_profiles(store, "openrouter/acme/small-9b")
        assert worker.submit(_request(model="small-9b"))
        assert worker.drain(30)
    finally:
        worker.stop()
    assert [(j.passes, j.profile_kind) for j in fn.jobs] == [((1, 2, 3), "exact")]
    events = _events(store)
    assert [e["outcome"] for e in events] == ["no-profile", "published"]
    assert events[0]["reason"].startswith(
        "no variant published: no capability profile for (small-9b, bare-agent)"
    )
    assert events[0].get("variant_id") is None
    assert events[1]["edits"] >= 1
    vs = store.get(VARIANT_SETS, key)
    assert vs is not None
    assert vs.current == events[1]["variant_id"]
    folder = Path(events[1]["folder"])
    assert folder.name == vs.current  # one id: the folder's, the event's and the served one


def test_an_identical_compile_is_recorded_as_serving_the_original(worker_parts: Any) -> None:
    """A strong model under ``generic`` (no parallel hints): the compiled text is the original,
    dependencies or not, so the worker publishes nothing and the key serves the original."""
    store = worker_parts[0]
    fn = Recording()
    worker = _worker(worker_parts, fn)
    big = TCP.model_validate(profile_dict({}, model="big"))
    ProfileStore(store).import_tcp(big, source="test")
    try:
        assert worker.submit(_request(model="big", harness="generic"))
        assert worker.drain(30)
    finally:
        worker.stop()
    (event,) = _events(store)
    assert event["outcome"] == "unchanged"
    assert "identical to the original" in event["reason"]
    assert event["variant_id"] is None
    assert store.count(VARIANTS) == 0
    vs = store.get(VARIANT_SETS, join_key(SKILL.hash, "big", "generic"))
    assert vs is not None
    assert vs.current == ORIGINAL


def test_duplicates_are_dropped_and_the_queue_is_bounded(worker_parts: Any) -> None:
    store = worker_parts[0]
    fn = Recording()
    fn.gate.clear()
    worker = _worker(worker_parts, fn, max_queue=1)
    try:
        assert worker.submit(_request(model="a"))
        assert fn.started.wait(10)  # "a" is being compiled, the queue is empty
        assert not worker.submit(_request(model="a"))  # duplicate of the one in progress
        assert worker.submit(_request(model="b"))
        assert not worker.submit(_request(model="b"))  # duplicate of a queued one
        assert not worker.submit(_request(model="c"))  # the queue is full
        fn.gate.set()
        assert worker.drain(30)
        assert worker.submit(_request(model="c"))  # room again
        assert worker.drain(30)
    finally:
        worker.stop()
    assert [j.model for j in fn.jobs] == ["a", "b", "c"]
    outcomes = [(e["model"], e["outcome"]) for e in _events(store)]
    assert ("c", "dropped") in outcomes
    assert outcomes.count(("c", "published")) == 1


def test_a_failing_compile_is_recorded_and_the_worker_carries_on(worker_parts: Any) -> None:
    store = worker_parts[0]
    fn = Recording(fail=True)
    worker = _worker(worker_parts, fn)
    try:
        assert worker.submit(_request(model="a"))
        assert worker.drain(30)
        assert worker.alive
        fn.fail = False
        assert worker.submit(_request(model="b"))
        assert worker.drain(30)
    finally:
        worker.stop()
    events = _events(store)
    assert events[0]["outcome"] == "failed"
    assert "compiler exploded" in events[0]["reason"]
    assert events[1]["outcome"] == "published"


def test_unknown_skill_and_existing_set_are_skipped(worker_parts: Any) -> None:
    store = worker_parts[0]
    other = Skill.parse("---\nname: other\ndescription: d\n---\n# Other\n")
    store.put(VARIANT_SETS, join_key(SKILL.hash, "x", "bare-agent"), VariantSet())
    fn = Recording()
    worker = _worker(worker_parts, fn)
    try:
        assert worker.submit(_request(skill=other))
        assert worker.submit(_request(model="x"))
        assert worker.drain(30)
    finally:
        worker.stop()
    assert fn.jobs == []
    assert [e["outcome"] for e in _events(store)] == ["skipped", "skipped"]


def test_stop_ends_the_thread_and_refuses_new_work(worker_parts: Any) -> None:
    worker = _worker(worker_parts, Recording())
    running = worker.alive
    worker.stop()
    assert (running, worker.alive) == (True, False)
    assert not worker.submit(_request())


def test_traffic_skill_compiles_from_its_text(worker_parts: Any) -> None:
    """A skill seen only in traffic has no folder: the worker compiles its text."""
    store, _, variants = worker_parts
    _import_profiles(store, "small-9b")
    text = (REGION_DIGEST / "SKILL.md").read_text(encoding="utf-8")
    seen = Skill.parse(text, source="traffic", location="/nowhere/region-digest")
    fn = Recording()
    worker = CompileWorker(
        store=store, registry=SkillRegistry([seen]), variants_dir=variants, compile_fn=fn
    ).start()
    try:
        assert worker.submit(_request(skill=seen))
        assert worker.drain(30)
    finally:
        worker.stop()
    (job,) = fn.jobs
    assert job.skill.hash == seen.hash
    assert job.source.bundle == ()
    assert _events(store)[0]["outcome"] == "published"


def test_stop_drops_what_is_queued_and_finishes_what_runs(worker_parts: Any) -> None:
    fn = Recording()
    fn.gate.clear()
    worker = _worker(worker_parts, fn, max_queue=4)
    assert worker.submit(_request(model="a"))
    assert fn.started.wait(10)
    assert worker.submit(_request(model="b"))
    worker.stop(timeout=0)  # "b" is dropped at once; "a" is still compiling
    fn.gate.set()
    worker.stop()  # idempotent: waits for "a" to finish
    assert [j.model for j in fn.jobs] == ["a"]
    assert worker.drain(1)  # nothing left pending
    assert not worker.alive
