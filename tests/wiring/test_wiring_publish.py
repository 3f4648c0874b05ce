"""compile_and_publish: the one path from a skill to a servable variant the runtime finds."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from compiler import TCP, SkillSource, compile_skill, load_skill_dir, parse_skill, run_guard
from compiler.rewrite import RewriteResult
from skvm_shim.compilation import publish
from skvm_shim.compilation.publish import compile_and_publish, compile_job
from skvm_shim.models import normalize_model
from skvm_shim.profiles_store import ProfileStore
from skvm_shim.records import ORIGINAL, SKILLS, VARIANT_SETS, VARIANTS
from skvm_shim.skills.model import Skill
from skvm_shim.store import Store, join_key
from skvm_shim.variants import VariantSelector
from tests.wiring.helpers import REGION_DIGEST, WEAK_LEVELS, profile_dict


def _weak() -> TCP:
    return TCP.model_validate(profile_dict(WEAK_LEVELS, model="openrouter/acme/small-9b"))


def test_published_under_the_runtime_identity_and_found_by_the_runtime(
    store: Store, home: Path
) -> None:
    ProfileStore(store).import_tcp(_weak(), source="test")
    source = load_skill_dir(REGION_DIGEST)
    job = compile_job(
        source, model="acme/small-9b", harness="bare-agent", store=store,
        profiles=ProfileStore(store),
    )  # fmt: skip
    assert (job.profile_kind, job.model_key) == ("exact", "small-9b")
    outcome = compile_and_publish(job, store=store, variants_dir=home / "variants")
    assert outcome.status == "published", outcome.reason
    record = outcome.record
    assert record is not None
    runtime_skill = Skill.parse((REGION_DIGEST / "SKILL.md").read_text(encoding="utf-8"))
    assert record.skill_hash == runtime_skill.hash
    assert record.skill_hash != source.content_hash  # the compiler's hash is not the key
    # The runtime's lookup for a request model spelled differently finds it.
    choice = VariantSelector(store).choose(
        runtime_skill.hash, normalize_model("openrouter/acme/small-9b"), "bare-agent", 0.9
    )
    assert choice.variant is not None
    assert choice.variant.id == record.id
    # One id: the compiler's, the folder's, the stored and the served one.
    assert record.id == outcome.variant_id == outcome.result.variant.variant_id
    assert outcome.reason == f"served as {record.id} for (small-9b, bare-agent)"
    # Everything the runtime needs at serve time is on the record.
    assert record.ilp_groups == 1
    assert sorted(d["name"] for d in record.env_deps) == ["pandas", "pdftotext", "python3"]
    p = record.provenance
    assert p["profile_match"] == "exact"
    assert p["profile_id"] == _weak().profile_id
    assert p["guard"]["passed"] is True
    assert p["passes"] == [1, 2, 3]
    assert len(p["edits"]) == len(outcome.result.edits) >= 1
    assert {"scr", "pass1", "pass2", "pass3", "guard", "total"} <= set(p["timings_ms"])
    # The folder: every artifact, and the env-setup.sh path the note will point at.
    folder = home / "variants" / outcome.result.variant.variant_id
    assert outcome.folder == folder
    names = {f.name for f in folder.iterdir()}
    assert {"SKILL.md", "env-setup.sh", "dag.json", "dag.mmd", "report.json", "scripts"} <= names
    assert p["env_setup"] == str(folder / "env-setup.sh")
    assert (folder / "SKILL.md").read_text(encoding="utf-8") == outcome.result.variant.skill_md
    # The stored text is what the guard checked (no note baked in).
    assert run_guard(source.skill_md, record.text).passed
    assert "Environment on this machine" not in record.text
    assert store.get(SKILLS, runtime_skill.hash) == runtime_skill.model_copy(
        update={"location": source.origin}
    )


class _DropHeading:
    """A rewriter that breaks the task contract: it deletes a heading."""

    name = "drop-heading"

    def rewrite(self, skill: SkillSource, **_: Any) -> RewriteResult:
        return RewriteResult(text=skill.skill_md.replace("## Checks\n", ""), rewriter=self.name)


def test_a_variant_failing_the_guard_is_written_but_not_published(
    store: Store, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        publish, "compile_skill", functools.partial(compile_skill, rewriter=_DropHeading())
    )
    job = compile_job(load_skill_dir(REGION_DIGEST), model="m", tcp=_weak(), store=store)
    outcome = compile_and_publish(job, store=store, variants_dir=home / "variants")
    assert outcome.status == "not-servable"
    assert "## Checks" in outcome.reason
    assert outcome.folder is not None
    report = json.loads((outcome.folder / "report.json").read_text(encoding="utf-8"))
    assert report["servable"] is False
    assert any("## Checks" in v for v in report["provenance"]["guard"]["violations"])
    assert store.count(VARIANTS) == 0
    assert store.count(VARIANT_SETS) == 0


def test_a_folder_that_cannot_be_written_leaves_the_store_alone(
    store: Store, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    job = compile_job(load_skill_dir(REGION_DIGEST), model="m", tcp=_weak(), store=store)
    outcome = compile_and_publish(
        job, store=store, variants_dir=tmp_path, out_dir=blocker / "variant"
    )
    assert outcome.status == "write-failed"
    assert str(blocker) in outcome.reason
    assert store.count(VARIANTS) == 0
    assert store.count(VARIANT_SETS) == 0
    assert store.count(SKILLS) == 0


def test_nothing_to_change_serves_the_original_and_is_known(store: Store, home: Path) -> None:
    text = "---\nname: plain\ndescription: plain notes\n---\n\n# Plain\n\nWrite friendly notes.\n"
    strong = TCP.model_validate(profile_dict({}, model="acme/large-400b"))
    job = compile_job(parse_skill(text), model="acme/large-400b", tcp=strong, store=store)
    outcome = compile_and_publish(job, store=store, variants_dir=home / "variants")
    assert outcome.status == "unchanged"
    assert outcome.servable
    assert "identical to the original" in outcome.reason
    assert (outcome.variant_id, outcome.folder) == (None, None)
    assert not (home / "variants").exists()  # no folder for a variant nobody serves
    vs = store.get(VARIANT_SETS, join_key(job.skill.hash, "large-400b", "generic"))
    assert vs is not None
    assert vs.current == ORIGINAL
    assert [(s.from_id, s.to_id) for s in vs.history] == [(None, ORIGINAL)]
    assert store.count(VARIANTS) == 0
    choice = VariantSelector(store).choose(job.skill.hash, "large-400b", "generic", 0.5)
    assert (choice.variant, choice.known) == (None, True)


def test_no_profile_publishes_nothing_and_leaves_the_store_alone(store: Store, home: Path) -> None:
    job = compile_job(load_skill_dir(REGION_DIGEST), model="acme/small-9b", store=store)
    assert job.tcp is None
    outcome = compile_and_publish(job, store=store, variants_dir=home / "variants")
    assert outcome.status == "no-profile"
    assert outcome.servable  # nothing failed: the original is served
    assert outcome.reason.startswith(
        "no variant published: no capability profile for (small-9b, generic); the original is "
        "served"
    )
    assert (outcome.variant_id, outcome.folder) == (None, None)
    assert store.count(VARIANTS) == store.count(VARIANT_SETS) == store.count(SKILLS) == 0
    assert not (home / "variants").exists()
